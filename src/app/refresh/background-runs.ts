import type { Operation } from '../../domain/operation.js';
import type { Runtime } from '../runtime.js';
import { type RunEvent, runOperation } from './operation-runner.js';

type Listener = (event: RunEvent) => void;

interface Run {
  readonly controller: AbortController;
  readonly done: Promise<Operation | undefined>;
  readonly listeners: Set<Listener>;
}

/**
 * Operations the service runs in its own process, after the HTTP API queued them. Their
 * state and log are in the control database like any other operation's; what only this
 * process knows is the live data progress, which watchers subscribe to.
 */
export class BackgroundRuns {
  readonly #runtime: Runtime;
  readonly #runs = new Map<number, Run>();
  readonly #onError: (id: number, error: Error) => void;
  #stopping = false;

  constructor(runtime: Runtime, onError: (id: number, error: Error) => void) {
    this.#runtime = runtime;
    this.#onError = onError;
  }

  start(id: number): void {
    const controller = new AbortController();
    // While the service stops, an operation queued meanwhile is canceled as it starts.
    if (this.#stopping) controller.abort();
    const listeners = new Set<Listener>();
    const done = runOperation(this.#runtime, id, {
      signal: controller.signal,
      onEvent: (event) => {
        for (const listener of listeners) listener(event);
      },
    })
      .catch((error: Error) => {
        // The runner records failures on the operation; this is a failure to record them.
        this.#onError(id, error);
        return undefined;
      })
      .finally(() => this.#runs.delete(id));
    this.#runs.set(id, { controller, done, listeners });
  }

  /** Live events of an operation running here; a no-op subscription for any other. */
  subscribe(id: number, listener: Listener): () => void {
    const run = this.#runs.get(id);
    run?.listeners.add(listener);
    return () => run?.listeners.delete(listener);
  }

  get size(): number {
    return this.#runs.size;
  }

  /**
   * On shutdown: every run is canceled (a cutover in progress finishes first) and awaited,
   * so no target is left half-way and no staging database is left behind.
   */
  async stopAll(): Promise<void> {
    this.#stopping = true;
    while (this.#runs.size > 0) {
      for (const run of this.#runs.values()) run.controller.abort();
      await Promise.all([...this.#runs.values()].map((run) => run.done));
    }
  }
}
