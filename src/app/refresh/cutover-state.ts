import type { DatabaseRole } from '../../domain/environment.js';
import type { Operation } from '../../domain/operation.js';
import type { Runtime } from '../runtime.js';

/**
 * A cutover that began but was never recorded (its process failed or stopped between the
 * swap and the write): the server tells whether the swap happened. It is recorded, or the
 * intent forgotten, and the live databases are opened again in either case.
 */
export async function reconcileCutover(runtime: Runtime, operation: Operation): Promise<Operation> {
  if (operation.cutoverStartedAt === null || operation.cutoverAt !== null) return operation;
  const pending = await runtime.operations.breadcrumbs({ operation: operation.id, state: 'pending' });
  if (pending.length === 0) return operation;
  const urls = await runtime.environments.connectionUrls(operation.environment);
  let swapped = 0;
  for (const crumb of pending) {
    const url = urls[crumb.role as DatabaseRole];
    if (url === undefined) continue;
    const exists = await runtime.servers.onServer(url, crumb.role, async (server) => {
      const found = await server.exists(crumb.database);
      await server.reopen(crumb.replaced);
      return found;
    });
    // Only the databases that were swapped keep a breadcrumb record.
    if (exists) swapped++;
    else await runtime.operations.discardBreadcrumb(operation.id, crumb.role as DatabaseRole);
  }
  const log = (level: 'info' | 'error', message: string) => runtime.operations.log(operation.id, 'cutover', level, message);
  if (swapped === 0) {
    await log('info', 'the cutover had not swapped any database; the target keeps its databases');
  } else {
    await runtime.operations.recordCutover(operation.id, null);
    await log(
      swapped === pending.length ? 'info' : 'error',
      swapped === pending.length
        ? 'the cutover had swapped the databases before it stopped; recorded now'
        : `the cutover had swapped ${swapped} of ${pending.length} databases before it stopped; roll back to restore the previous ones`,
    );
  }
  return runtime.operations.get(operation.id);
}
