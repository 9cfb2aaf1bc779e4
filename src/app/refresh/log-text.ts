import type { LogLine } from '../../domain/operation.js';

/** The runbook log as a text file: one line per entry, with its time, level and step. */
export function logText(lines: readonly LogLine[]): string {
  return lines.map((l) => `${l.at} ${l.level.toUpperCase().padEnd(7)} [${l.step ?? '-'}] ${l.message}\n`).join('');
}
