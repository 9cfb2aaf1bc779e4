import type { CopyEvent } from './copy-events.js';
import type { CopyPlan, TablePlan } from './copy-plan.js';
import { estimateSecondsLeft } from '../domain/units.js';

/** Emits progress at most a few times a second: tables done, rows, bytes, MiB/s, time left. */
export class ProgressMeter {
  readonly #emit: (event: CopyEvent) => void;
  readonly #tablesTotal: number;
  readonly #bytesTotal: number;
  readonly #started = performance.now();
  #tablesDone = 0;
  #rows = 0;
  #bytes = 0;
  #lastEmit = 0;

  constructor(plan: CopyPlan, emit: (event: CopyEvent) => void) {
    this.#emit = emit;
    this.#tablesTotal = plan.tables.filter((t) => t.mode !== 'clear').length;
    // COPY text is roughly the heap size; it is an estimate for the ETA only.
    this.#bytesTotal = plan.totalBytes;
  }

  addBytes(bytes: number): void {
    this.#bytes += bytes;
    const now = performance.now();
    if (now - this.#lastEmit > 250) this.#progress(now);
  }

  tableDone(table: TablePlan, rows: number, bytes: number, seconds: number): void {
    this.#tablesDone += 1;
    this.#rows += rows;
    this.#emit({ type: 'table', table: `${table.schema}.${table.name}`, mode: table.mode, rows, bytes, seconds: Math.round(seconds * 100) / 100, parts: table.parts.length });
    this.#progress(performance.now());
  }

  finish(): void {
    this.#progress(performance.now());
  }

  #progress(now: number): void {
    this.#lastEmit = now;
    const elapsed = (now - this.#started) / 1000;
    const rate = elapsed > 0 ? this.#bytes / elapsed : 0;
    this.#emit({
      type: 'progress',
      tablesDone: this.#tablesDone,
      tablesTotal: this.#tablesTotal,
      rows: this.#rows,
      bytes: this.#bytes,
      bytesTotal: Math.max(this.#bytesTotal, this.#bytes),
      mbPerSecond: Math.round((rate / 1024 / 1024) * 10) / 10,
      // None until the copy has run long enough to tell its pace (a 1 s copy never shows one).
      etaSeconds: estimateSecondsLeft({ elapsedSeconds: elapsed, done: this.#bytes, total: this.#bytesTotal }),
    });
  }
}
