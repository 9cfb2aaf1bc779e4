import type { Operation } from './api/types';

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

export function formatDateTime(iso: string | null | undefined): string {
  return iso ? dateTime.format(new Date(iso)) : '—';
}

/** 0.4 s, 12 s, 3 min 5 s, 1 h 2 min. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function elapsed(from: string | null, to: string | null, now: number): number | null {
  if (!from) return null;
  return (to ? Date.parse(to) : now) - Date.parse(from);
}

const UNITS = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];

/** Bytes in binary units, as the CLI writes them: 800 bytes, 12.0 MiB, 1.5 GiB. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${UNITS[unit]}`;
}

const BYTE_FACTORS: Readonly<Record<string, number>> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/** A size a person types: "512MiB", "4 GiB", "1.5g", "1073741824" (bytes); undefined when it is none. */
export function parseByteSize(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(?:([kmgt])i?b?|b)?\s*$/i.exec(text);
  if (!match) return undefined;
  const bytes = Math.round(Number(match[1]) * BYTE_FACTORS[(match[2] ?? 'b').toLowerCase()]!);
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined;
}

/** `key: value` pairs of an audit or history record, for a table cell. */
export function formatDetails(details: Readonly<Record<string, unknown>> | null): string {
  if (!details) return '';
  return Object.entries(details)
    .filter(([, value]) => value !== null && value !== undefined)
    .map(([key, value]) => `${key}: ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`)
    .join(', ');
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
