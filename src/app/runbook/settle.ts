import type { Operation, OperationError } from '../../domain/operation.js';
import { type OperationOutcome, environmentStateAfter, finalState, historyEntry, settlesFrom } from '../../domain/operation-outcome.js';
import { redactSecrets } from '../../domain/redaction.js';
import { releaseMirrorPause } from '../mirror-service.js';
import { spareAfterRefresh } from '../mirror-spare.js';
import { notifyOperation } from '../notification-service.js';
import type { Runtime } from '../runtime.js';

/**
 * Ends an operation: its state, its open steps, the environment's history and state. The
 * runner, the reaper of abandoned operations and a rollback all end operations here, so
 * "what an ended operation leaves behind" is said once (the rules are in the domain), and
 * its subscribers are told here (notifyOperation; the start is told in engine.ts).
 * Returns false when another process had ended the operation meanwhile: nothing is written.
 */
export async function settle(
  runtime: Runtime,
  operation: Operation,
  outcome: OperationOutcome,
  extra: { readonly error?: OperationError; readonly actor?: string } = {},
): Promise<boolean> {
  const ops = runtime.operations;
  const ended = await ops.transition(operation.id, settlesFrom(outcome), finalState(outcome), extra.error ? { error: extra.error } : {});
  if (!ended) return false;
  if (outcome === 'failed' || outcome === 'canceled') await ops.closeOpenSteps(operation.id, outcome);
  const history = historyEntry(await ops.get(operation.id), outcome, extra.actor);
  if (history) await runtime.environments.addHistory(operation.environment, history.event, history.details);
  await runtime.environments.setState(operation.environment, environmentStateAfter(operation.kind, outcome, operation.cutoverAt !== null));
  if (operation.kind === 'refresh') {
    await releaseMirrorPause(runtime, operation.environment, operation.id).catch((error: Error) =>
      ops.log(operation.id, null, 'warning', `the mirror's subscription it had paused could not be resumed yet (${redactSecrets(error.message)}); the next refresh or mirror check resumes it`),
    );
    await spareAfterRefresh(runtime, operation.environment).catch((error: Error) =>
      ops.log(operation.id, null, 'warning', `a new spare of the mirror could not be asked for (${redactSecrets(error.message)}); the service's mirror check asks again`),
    );
  }
  await notifyOperation(runtime, operation.id, outcome);
  return true;
}
