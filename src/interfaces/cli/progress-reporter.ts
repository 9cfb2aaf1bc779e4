import cliProgress from 'cli-progress';
import { formatBytes, formatDuration } from '../../domain/units.js';

/**
 * Long work shows a live bar on a terminal; elsewhere (pipes, CI, --json) it prints a line
 * per quarter so a log still tells how far it got.
 */
export class ProgressReporter {
  readonly #stream: NodeJS.WriteStream;
  readonly #enabled: boolean;
  #bar: cliProgress.SingleBar | undefined;
  #label = '';
  #lastQuarter = -1;

  constructor(options: { enabled: boolean; stream?: NodeJS.WriteStream }) {
    this.#stream = options.stream ?? process.stderr;
    this.#enabled = options.enabled;
  }

  step(message: string): void {
    if (!this.#enabled) return;
    this.#finishBar();
    this.#stream.write(`${message}\n`);
  }

  update(label: string, done: number, total: number, detail: string): void {
    if (!this.#enabled) return;
    if (label !== this.#label) {
      this.#finishBar();
      this.#label = label;
      this.#lastQuarter = -1;
      if (this.#stream.isTTY) {
        this.#bar = new cliProgress.SingleBar(
          { format: `  ${label} [{bar}] {percentage}% | {value}/{total} | {detail}`, stream: this.#stream, hideCursor: true },
          cliProgress.Presets.shades_classic,
        );
        this.#bar.start(total, 0, { detail });
      }
    }
    if (this.#bar) {
      this.#bar.setTotal(total);
      this.#bar.update(done, { detail });
      return;
    }
    const quarter = total > 0 ? Math.floor((done / total) * 4) : 4;
    if (quarter > this.#lastQuarter) {
      this.#lastQuarter = quarter;
      this.#stream.write(`  ${label}: ${done}/${total} ${detail}\n`);
    }
  }

  finish(): void {
    this.#finishBar();
  }

  #finishBar(): void {
    this.#bar?.stop();
    this.#bar = undefined;
    this.#label = '';
  }
}

/** The data step's progress, as both `copy` and `refresh` show it. */
export function showDataProgress(
  progress: ProgressReporter,
  event: { tablesDone: number; tablesTotal: number; rows: number; bytes: number; mbPerSecond: number; etaSeconds: number | null; lastTable?: string | null },
): void {
  // The copy gives no estimate until it has run long enough to tell its pace (estimateSecondsLeft).
  const eta = event.etaSeconds === null ? '' : `, about ${formatDuration(event.etaSeconds * 1000)} left`;
  const last = event.lastTable ? `, last ${event.lastTable}` : '';
  progress.update(
    'data',
    event.tablesDone,
    event.tablesTotal,
    `${event.rows.toLocaleString('en')} rows, ${formatBytes(event.bytes)}, ${event.mbPerSecond} MiB/s${eta}${last}`,
  );
}
