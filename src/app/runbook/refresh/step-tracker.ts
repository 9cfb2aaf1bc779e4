import type { DatabaseRole } from '../../../domain/environment.js';
import type { StepName } from '../../../domain/operation.js';
import type { CopyEvent } from '../../../engine/copy-events.js';
import { round } from '../run-context.js';

/**
 * Follows the copies of several databases through the copy steps, at the pace of the
 * slowest (the application database; financial reporting is small): a step is running once
 * every copy has reached it and succeeded when the last has left it. Writes go out in order.
 */
export class StepTracker {
  readonly #steps: readonly StepName[];
  readonly #roles: readonly DatabaseRole[];
  readonly #position = new Map<DatabaseRole, number>();
  readonly #state = new Map<StepName, 'pending' | 'running' | 'succeeded'>();
  readonly #started = new Map<StepName, number>();
  readonly #finished = new Map<StepName, number>();
  readonly #write: (step: StepName, status: 'running' | 'succeeded') => Promise<void>;
  #chain: Promise<void> = Promise.resolve();

  constructor(steps: readonly StepName[], roles: readonly DatabaseRole[], write: (step: StepName, status: 'running' | 'succeeded') => Promise<void>) {
    this.#steps = steps;
    this.#roles = roles;
    this.#write = write;
    for (const role of roles) this.#position.set(role, -1);
    for (const step of steps) this.#state.set(step, 'pending');
  }

  phase(role: DatabaseRole, step: StepName, status: 'started' | 'finished'): void {
    if (status !== 'started') return;
    this.#position.set(role, Math.max(this.#position.get(role)!, this.#steps.indexOf(step)));
    this.#update();
  }

  done(role: DatabaseRole): void {
    this.#position.set(role, this.#steps.length);
    this.#update();
  }

  seconds(step: StepName): number {
    return round(((this.#finished.get(step) ?? performance.now()) - (this.#started.get(step) ?? performance.now())) / 1000);
  }

  idle(): Promise<void> {
    return this.#chain;
  }

  #update(): void {
    const lowest = Math.min(...this.#roles.map((r) => this.#position.get(r)!));
    this.#steps.forEach((step, index) => {
      if (this.#state.get(step) === 'pending' && lowest >= index) {
        this.#state.set(step, 'running');
        this.#started.set(step, performance.now());
        this.#chain = this.#chain.then(() => this.#write(step, 'running')).catch(() => {});
      }
      if (this.#state.get(step) === 'running' && lowest > index) {
        this.#state.set(step, 'succeeded');
        this.#finished.set(step, performance.now());
        this.#chain = this.#chain.then(() => this.#write(step, 'succeeded')).catch(() => {});
      }
    });
  }
}

/** The data progress of several copies as one. */
export function sumProgress(events: readonly Extract<CopyEvent, { type: 'progress' }>[]) {
  const sum = (key: 'rows' | 'bytes' | 'bytesTotal' | 'tablesDone' | 'tablesTotal' | 'mbPerSecond') => events.reduce((s, e) => s + e[key], 0);
  const etas = events.map((e) => e.etaSeconds).filter((e): e is number => e !== null);
  return {
    rows: sum('rows'),
    bytes: sum('bytes'),
    bytesTotal: sum('bytesTotal'),
    tablesDone: sum('tablesDone'),
    tablesTotal: sum('tablesTotal'),
    mbPerSecond: round(sum('mbPerSecond')),
    etaSeconds: etas.length === 0 ? null : Math.max(...etas),
  };
}
