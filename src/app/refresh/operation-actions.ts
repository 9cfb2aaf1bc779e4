import type { Actor } from '../../domain/actor.js';
import { DataalmError, type RefusalCode, RefusedError } from '../../domain/errors/dataalm-error.js';
import { type Operation, RESTORE_STEPS } from '../../domain/operation.js';
import type { Runtime } from '../runtime.js';
import { runRollback } from '../runbook/rollback-runbook.js';
import { workerId } from '../runbook/run-context.js';
import { reapAbandoned } from './abandoned.js';
import { reconcileCutover } from './cutover-state.js';

const refuse = (code: RefusalCode, message: string, remedy: string): never => {
  throw new RefusedError([{ code, message, remedy }]);
};

/**
 * Undoes a failed operation (see runRollback). The rollback is an operation of the failed
 * one's record: it becomes rolling-back and runs in this process, or, with `detach`, on a
 * worker; a process that dies in the middle of it has it taken over by a worker.
 */
export async function rollbackOperation(runtime: Runtime, id: number, actor: Actor, options: { readonly detach?: boolean } = {}): Promise<Operation> {
  await reapAbandoned(runtime);
  const found = await runtime.operations.get(id);
  const env = found.environment;
  if (found.kind === 'apply') {
    refuse(
      'NOT_ROLLBACKABLE',
      `operation ${id} applied a package: a package is not rolled back (each database's scripts run in one transaction, so a failing script leaves its database as it was; the runbook log says what ran)`,
      `fix the cause and apply the package again: dataalm env apply ${env} --package ${String(found.options.package)}`,
    );
  }
  switch (found.state) {
    case 'failed':
      break;
    case 'succeeded':
      refuse(
        'NOT_ROLLBACKABLE',
        `operation ${id} succeeded: a rollback undoes a failed operation`,
        `to bring back ${env}'s state from before it, run: dataalm env restore ${env} --operation ${id}`,
      );
      break;
    case 'canceled':
      refuse('NOT_ROLLBACKABLE', `operation ${id} was canceled: its staging databases were removed and ${env} was never touched`, 'nothing to undo');
      break;
    case 'rolled-back':
      refuse('NOT_ROLLBACKABLE', `operation ${id} has already been rolled back`, 'nothing to undo');
      break;
    case 'rolling-back':
      refuse('NOT_ROLLBACKABLE', `operation ${id} is being rolled back already`, `dataalm op show ${id} shows its progress`);
      break;
    default:
      refuse('NOT_ROLLBACKABLE', `operation ${id} is still ${found.state}`, `cancel it first: dataalm op cancel ${id}`);
  }
  // Failed, so nobody else works on it: settle a cutover that was never recorded.
  const operation = await reconcileCutover(runtime, found);
  if (operation.cutoverAt !== null) {
    const copying = await runtime.operations.activeFrom(env);
    if (copying) {
      refuse(
        'TARGET_IS_SOURCE',
        `operation ${copying.id} is copying from ${env} right now; swapping its databases back would break that copy`,
        `wait for operation ${copying.id} to finish, then roll back`,
      );
    }
    const last = await runtime.operations.lastCutover(env);
    if (last !== id) {
      refuse(
        'NOT_ROLLBACKABLE',
        `operation ${last} has replaced ${env}'s databases since operation ${id}`,
        `bring back an earlier state with: dataalm env restore ${env} --operation ${id}`,
      );
    }
  }
  if (!(await runtime.operations.requestRollback(id))) {
    const busy = await runtime.operations.activeOn(env);
    refuse('TARGET_BUSY', `operation ${busy?.id ?? '?'} is running on ${env}`, 'wait for it to finish, then roll back');
  }
  await runtime.operations.log(id, 'rollback', 'info', `rollback requested by ${actor.name}`);
  await runtime.environments.audit(actor, 'operation.rollback', env, { operation: id });
  await runtime.environments.setState(env, 'servicing');
  if (options.detach) {
    // A worker claims it; one that dies in the middle has it taken over by another.
    await runtime.queue.enqueue({ id, reason: 'rollback' }, `rollback:${id}`);
    return runtime.operations.get(id);
  }
  if (!(await runtime.operations.claimRollback(id, workerId()))) return runtime.operations.get(id);
  const run = await runRollback(runtime, id, { actor: actor.name });
  if (run.failure !== undefined && run.operation.state !== 'rolled-back') {
    throw new DataalmError('OPERATION_FAILED', `rollback of operation ${id} failed: ${run.failure}`, {
      remedy: `dataalm op logs ${id}; then try the rollback again`,
    });
  }
  return run.operation;
}

/**
 * Cancels an operation before its cutover. A queued one ends at once; a running one is
 * asked to stop (its runner drops the staging databases) and this waits for it to end.
 */
export async function cancelOperation(runtime: Runtime, id: number, actor: Actor, waitMs = 120_000): Promise<Operation> {
  const operation = await runtime.operations.get(id);
  if (operation.state === 'queued' && (await runtime.operations.transition(id, ['queued'], 'canceled'))) {
    await runtime.operations.closeOpenSteps(id, 'canceled');
    await runtime.operations.log(id, null, 'warning', `canceled by ${actor.name} before it started`);
    await runtime.environments.audit(actor, 'operation.cancel', operation.environment, { operation: id });
    return runtime.operations.get(id);
  }
  if (operation.state !== 'running' && operation.state !== 'queued') {
    refuse('NOT_CANCELABLE', `operation ${id} is ${operation.state}: only a queued or running operation can be canceled`, 'nothing to cancel');
  }
  if (!(await runtime.operations.requestCancel(id))) {
    refuse(
      'NOT_CANCELABLE',
      operation.kind === 'apply'
        ? `operation ${id} has begun running the package's scripts: it can no longer be canceled`
        : `operation ${id} has begun its cutover: it can no longer be canceled`,
      `wait for it to end; if it fails, dataalm op rollback ${id} undoes it`,
    );
  }
  await runtime.operations.log(id, null, 'warning', `cancel requested by ${actor.name}`);
  await runtime.environments.audit(actor, 'operation.cancel', operation.environment, { operation: id });
  const deadline = Date.now() + waitMs;
  for (;;) {
    await reapAbandoned(runtime);
    const now = await runtime.operations.get(id);
    if (now.state !== 'running' && now.state !== 'queued') return now;
    if (Date.now() > deadline) return now;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

/** Queues a restore of the databases an operation replaced (its breadcrumbs). */
export async function requestRestore(runtime: Runtime, environment: string, operationId: number, actor: Actor): Promise<number> {
  await runtime.environments.get(environment);
  const operation = await runtime.operations.find(operationId);
  if (!operation || operation.environment !== environment) {
    refuse('NO_BREADCRUMB', `operation ${operationId} is not an operation on ${environment}`, `dataalm op list --env ${environment} lists them`);
  }
  const all = await runtime.operations.breadcrumbs({ operation: operationId });
  const kept = all.filter((c) => c.state === 'kept');
  if (kept.length === 0) {
    const why =
      all.length === 0
        ? `operation ${operationId} never replaced ${environment}'s databases`
        : all.some((c) => c.state === 'dropped')
          ? `the breadcrumbs of operation ${operationId} were dropped after their retention`
          : `the breadcrumbs of operation ${operationId} have been restored already`;
    refuse('NO_BREADCRUMB', why, `dataalm env breadcrumbs ${environment} lists what can be restored`);
  }
  if (kept.some((c) => Date.parse(c.expiresAt) <= Date.now())) {
    refuse('NO_BREADCRUMB', `the breadcrumbs of operation ${operationId} have expired`, 'they are dropped by the janitor');
  }
  const copying = await runtime.operations.activeFrom(environment);
  if (copying) {
    refuse(
      'TARGET_IS_SOURCE',
      `operation ${copying.id} is copying from ${environment} right now; replacing its databases would break that copy`,
      `wait for operation ${copying.id} to finish, then restore`,
    );
  }
  const id = await runtime.operations.create({
    kind: 'restore',
    environment,
    source: null,
    restoresOperation: operationId,
    options: {},
    steps: RESTORE_STEPS,
    actor,
  });
  await runtime.operations.log(id, null, 'info', `restore of ${environment} to its state before operation ${operationId} requested by ${actor.name}`);
  return id;
}
