import { DataalmError } from '../../domain/errors/dataalm-error.js';
import type { FaultPoint } from '../../domain/faults.js';
import type { Operation, OperationKind, StepName } from '../../domain/operation.js';
import { fault } from '../faults.js';
import { notifyOperation } from '../notification-service.js';
import type { Runtime } from '../runtime.js';
import { reconcileCutover } from '../refresh/cutover-state.js';
import { applyRunbook } from './apply-runbook.js';
import { refreshRunbook } from './refresh/refresh-runbook.js';
import { restoreRunbook } from './restore-runbook.js';
import { Canceled, RunContext, type RunOptions, failAtForTests, round, workerId } from './run-context.js';
import type { Runbook, StepHandler } from './runbook.js';
import { settle } from './settle.js';

export { type RunEvent, type RunOptions, workerId } from './run-context.js';

const RUNBOOKS: Record<OperationKind, Runbook> = { refresh: refreshRunbook, restore: restoreRunbook, apply: applyRunbook };

const CANCEL_POLL_MS = 500;

/** Starts a queued operation in this process and runs its runbook to its end. */
export async function runOperation(runtime: Runtime, id: number, options: RunOptions = {}): Promise<Operation> {
  const worker = workerId();
  if (!(await runtime.operations.transition(id, ['queued'], 'running', { worker }))) {
    const operation = await runtime.operations.get(id);
    throw new DataalmError('REFUSED', `operation ${id} is ${operation.state}, not queued: it cannot be started`);
  }
  await notifyOperation(runtime, id, 'started');
  return forward(await RunContext.open(runtime, id, worker, options.onEvent ?? (() => {})), options, false);
}

/**
 * Goes on with an operation this worker has just taken over (OperationStore.claimStale):
 * steps already done are not run again.
 */
export async function resumeOperation(runtime: Runtime, id: number, options: RunOptions = {}): Promise<Operation> {
  return forward(await RunContext.open(runtime, id, workerId(), options.onEvent ?? (() => {})), options, true);
}

/** What holding an operation takes: a heartbeat that keeps the lease, and cancels heard. */
export interface Lease {
  /** True once another process ended the operation as abandoned: this one must stop and write nothing. */
  readonly lost: boolean;
  release(): void;
}

/**
 * Holds the operation for this process while it runs: a heartbeat four times per lease (so
 * one late write does not look like a stopped runner), and, when the run can be canceled,
 * a poll for cancel requests and the caller's own abort signal.
 */
export function holdLease(ctx: RunContext, external: AbortSignal | undefined, cancelable: boolean): Lease {
  const ops = ctx.runtime.operations;
  let lost = false;
  const heartbeatMs = Math.min(5000, ctx.runtime.config.leaseSeconds * 250);
  const heartbeat = setInterval(() => {
    void ops.heartbeat(ctx.id, ctx.worker).then(
      (mine) => {
        if (!mine && !lost) {
          lost = true;
          ctx.abort.abort(new Error('the operation was ended by another process'));
        }
      },
      () => {},
    );
  }, heartbeatMs);
  const poll = cancelable
    ? setInterval(() => {
        void ops.isCancelRequested(ctx.id).then(
          (requested) => {
            if (requested && !ctx.pointOfNoCancel) ctx.abort.abort(new Canceled());
          },
          () => {},
        );
      }, CANCEL_POLL_MS)
    : undefined;
  const onExternal = () =>
    void ops.requestCancel(ctx.id).then(
      (ok) => ok && ctx.abort.abort(new Canceled()),
      () => ctx.abort.abort(new Canceled()),
    );
  if (cancelable) {
    if (external?.aborted) onExternal();
    else external?.addEventListener('abort', onExternal, { once: true });
  }
  return {
    get lost() {
      return lost;
    },
    release() {
      clearInterval(heartbeat);
      if (poll) clearInterval(poll);
      external?.removeEventListener('abort', onExternal);
    },
  };
}

/** Runs one step: running → succeeded (or skipped), with its counters and its fault points. */
export async function runStep(ctx: RunContext, name: StepName, handler: StepHandler): Promise<void> {
  if (handler.marksItself) {
    await handler.run(ctx);
    return;
  }
  fault(`before:${name}` as FaultPoint);
  failAtForTests(name);
  await ctx.runtime.operations.stepStarted(ctx.id, name);
  ctx.emit({ type: 'step', step: name, status: 'running' });
  await ctx.log(name, 'info', `step ${name} started`);
  const started = performance.now();
  let result: Awaited<ReturnType<StepHandler['run']>>;
  try {
    result = await handler.run(ctx);
  } catch (error) {
    ctx.emit({ type: 'step', step: name, status: 'failed' });
    throw error;
  }
  const seconds = round((performance.now() - started) / 1000);
  const status = result === 'skipped' ? 'skipped' : 'succeeded';
  await ctx.runtime.operations.stepFinished(ctx.id, name, status, { seconds, ...(typeof result === 'object' ? result : {}) });
  await ctx.log(name, 'info', `step ${name} ${status} (${seconds} s)`);
  ctx.emit({ type: 'step', step: name, status });
  fault(`after:${name}` as FaultPoint);
}

/**
 * The step loop of a refresh, restore or apply: every step not yet done, in order; then the
 * operation is settled as succeeded, failed or canceled. Never leaves the operation running
 * in this process: only a process that lost it to another leaves it to that one.
 */
async function forward(ctx: RunContext, options: RunOptions, resuming: boolean): Promise<Operation> {
  const { runtime, id } = ctx;
  const runbook = RUNBOOKS[ctx.operation.kind];
  const lease = holdLease(ctx, options.signal, true);
  let current: StepName | null = null;
  try {
    // A cancel ends a running copy at once: its staging databases are dropped under it.
    ctx.signal.addEventListener('abort', () => void ctx.dropStaging().catch(() => {}), { once: true });
    await runtime.environments.setState(ctx.target.name, 'servicing');
    if (resuming) {
      await runbook.prepareResume(ctx);
      const next = (await ctx.reload()).steps.find((s) => s.status !== 'succeeded' && s.status !== 'skipped');
      await ctx.log(null, 'info', `resuming at step ${next?.name ?? 'the end'}; steps already done are not run again`);
    }
    for (const step of ctx.operation.steps) {
      if (step.status === 'succeeded' || step.status === 'skipped') continue;
      if (ctx.signal.aborted && !ctx.pointOfNoCancel) throw lease.lost ? ctx.signal.reason : new Canceled();
      current = step.name;
      const handler = runbook.steps[step.name];
      if (!handler) throw new Error(`no handler for step ${step.name} of a ${ctx.operation.kind}`);
      await runStep(ctx, step.name, handler);
    }
    await ctx.flush();
    if (!(await settle(runtime, await ctx.reload(), 'succeeded'))) {
      await ctx.log(null, 'error', 'the runbook finished, but another process had ended the operation meanwhile; see its state');
    }
  } catch (thrown) {
    await ctx.flush().catch(() => {});
    if (lease.lost) {
      await ctx.log(current, 'error', `this process stopped working on the operation at step ${current}: another process had ended it as abandoned`);
      return runtime.operations.get(id);
    }
    const operation = await reconcileCutover(runtime, await runtime.operations.get(id));
    const cutover = operation.cutoverAt !== null;
    if (!cutover && !ctx.pointOfNoCancel && (thrown instanceof Canceled || ctx.signal.aborted)) {
      await ctx.dropStaging().catch((error: Error) => ctx.log(current, 'error', `the staging databases could not be removed: ${error.message}`));
      await ctx.log(current, 'warning', runbook.afterCancel(current));
      await settle(runtime, operation, 'canceled');
    } else {
      const at = ctx.failedAt ?? current;
      const error = ctx.describe(thrown, at);
      await ctx.log(at, 'error', `${at ?? 'operation'} failed: ${error.message}${error.remedy ? ` (${error.remedy})` : ''}`, { code: error.code });
      await ctx.log(null, 'info', await runbook.afterFailure(ctx, cutover));
      await settle(runtime, operation, 'failed', { error });
    }
  } finally {
    lease.release();
  }
  return runtime.operations.get(id);
}
