import type { StepName } from '../../domain/operation.js';
import type { RunContext } from './run-context.js';

/** What a step returns: its counters, or that it had nothing to do. */
export type StepResult = Record<string, unknown> | 'skipped' | void;

export interface StepHandler {
  run(ctx: RunContext): Promise<StepResult>;
  /**
   * The handler marks its steps running and succeeded itself: the copy passes five steps
   * (prepare … constraints) in one go, at the pace of its slowest database.
   */
  readonly marksItself?: boolean;
}

/**
 * One operation kind (refresh, restore, apply): its named steps, in the order the
 * operation's persisted runbook lists them, and what its ending says. The engine
 * (engine.ts) runs any of them: the step loop, lease, cancel, log and settle.
 */
export interface Runbook {
  readonly steps: Partial<Record<StepName, StepHandler>>;
  /** Before a run taken over from another process goes on: settle what that process left half-done. */
  prepareResume(ctx: RunContext): Promise<void>;
  /** The log line after a failure: what the failed run left, and what to do next. */
  afterFailure(ctx: RunContext, cutoverReached: boolean): Promise<string>;
  /** The log line after a cancel at `step`. */
  afterCancel(step: StepName | null): string;
}
