import type { Operation } from '../../domain/operation.js';
import type { RunEvent, RunOptions } from '../runbook/engine.js';

type Listener = (event: RunEvent) => void;

interface Run {
  readonly controller: AbortController;
  readonly done: Promise<unknown>;
  readonly listeners: Set<Listener>;
}

/**
 * The operations this process is running (as a worker). Their state and log are in the
 * control database like any other operation's; what only this process knows is the live
 * data progress, which watchers subscribe to, and how to stop them when it shuts down.
 */
export class BackgroundRuns {
  readonly #runs = new Map<number, Run>();
  #stopping = false;

  /** Runs `start` (a runner of operation `id`) with this process's signal and watchers. */
  async run(id: number, start: (options: RunOptions) => Promise<Operation>): Promise<void> {
    const controller = new AbortController();
    // While the process stops, an operation that arrives meanwhile is canceled as it starts.
    if (this.#stopping) controller.abort();
    const listeners = new Set<Listener>();
    const done = start({
      signal: controller.signal,
      onEvent: (event) => {
        for (const listener of listeners) listener(event);
      },
    }).finally(() => this.#runs.delete(id));
    this.#runs.set(id, { controller, done: done.catch(() => {}), listeners });
    await done;
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
