import type { Operation } from './api/types';

// Sizes and durations read as in the CLI: one set of rules (binary units, IEC).
export { formatBytes, formatDuration, parseByteSize } from '../../src/domain/units.js';

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

export function formatDateTime(iso: string | null | undefined): string {
  return iso ? dateTime.format(new Date(iso)) : '—';
}

export function elapsed(from: string | null, to: string | null, now: number): number | null {
  if (!from) return null;
  return (to ? Date.parse(to) : now) - Date.parse(from);
}

const time = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

export function formatTime(iso: string): string {
  return time.format(new Date(iso));
}

const OPERATION_KINDS: Readonly<Record<Operation['kind'], string>> = { refresh: 'Refresh', restore: 'Restore', apply: 'Apply' };

/** Refresh #12, Restore #13, Apply #14. */
export function operationTitle(operation: Pick<Operation, 'id' | 'kind'>): string {
  return `${OPERATION_KINDS[operation.kind]} #${operation.id}`;
}

/** The package an apply operation applies: "package 3 (Application 10.0.38 with platform update 62)". */
export function appliedPackage(operation: Pick<Operation, 'options'>): string {
  const { package: id, packageName: name } = operation.options;
  const number = typeof id === 'number' ? `package ${id}` : 'a package';
  return typeof name === 'string' ? `${number} (${name})` : number;
}
