import type { DatabaseRole } from '../../domain/environment.js';
import type { Operation, OperationDatabase } from '../../domain/operation.js';
import { derivedName, groupByServer } from '../../adapters/postgres/database-admin.js';
import type { Swap } from '../../ports/database-server.js';
import { fault } from '../faults.js';
import type { Runtime } from '../runtime.js';
import { reconcileCutover } from '../refresh/cutover-state.js';
import { holdLease } from './engine.js';
import { RunContext, type RunOptions, workerId } from './run-context.js';
import { settle } from './settle.js';

export interface RollbackRun {
  readonly operation: Operation;
  /** Why the rollback failed (secrets removed); undefined when it rolled back. */
  readonly failure: string | undefined;
}

/**
 * Runs the rollback of an operation this process holds (state rolling-back). Every step can
 * run again, so a rollback taken over from a process that died starts from the top:
 * 1. settle a cutover that was never recorded, from the servers;
 * 2. undo: before a cutover, drop the staging databases and reopen the live ones; after it,
 *    swap the breadcrumbs back into place (a role whose breadcrumb is gone was swapped back
 *    already), with the same sub-second cutover;
 * 3. drop the databases the refresh had put live (their failure is only logged);
 * then the operation is settled as rolled-back.
 */
export async function runRollback(runtime: Runtime, id: number, options: RunOptions & { readonly actor?: string } = {}): Promise<RollbackRun> {
  const ctx = await RunContext.open(runtime, id, workerId(), options.onEvent ?? (() => {}));
  const lease = holdLease(ctx, undefined, false);
  const log = (message: string, level: 'info' | 'warning' | 'error' = 'info') => ctx.log('rollback', level, message);
  try {
    const operation = await reconcileCutover(runtime, await runtime.operations.get(id));
    const databases = Object.entries(operation.databases) as [DatabaseRole, OperationDatabase][];
    let offlineMs = 0;
    if (operation.cutoverAt === null) {
      for (const [role, names] of databases) {
        await runtime.servers.onServer(ctx.targetUrls[role]!, role, async (server) => {
          if (operation.kind === 'refresh' && (await server.drop(names.staging))) await log(`staging database ${names.staging} dropped`);
          fault('rollback:middle');
          // A cutover that stopped half-way may have left the live database closed.
          await server.reopen(names.database);
        });
      }
    } else {
      offlineMs = await swapBack(ctx, operation, databases);
      await runtime.operations.markBreadcrumbsRestored(id);
      if (operation.kind === 'restore') {
        for (const [role] of databases) await runtime.operations.setBreadcrumbState(operation.restoresOperation!, role, 'kept');
      }
      // The databases the refresh had put live are dropped last.
      if (operation.kind === 'refresh') {
        for (const [role, names] of databases) {
          const parked = derivedName(names.database, `__rb_${id}`);
          await runtime.servers
            .onServer(ctx.targetUrls[role]!, role, (server) => server.drop(parked))
            .catch((error: Error) => log(`${parked} (the refreshed data) could not be dropped: ${error.message}; drop it by hand`, 'warning'));
        }
      }
    }
    await runtime.environments.clearPendingActionsOf(operation.environment, id).catch((error: Error) => log(`its pending actions could not be cleared: ${error.message}`, 'warning'));
    await log(
      operation.cutoverAt === null
        ? `rolled back: ${operation.environment} was never touched`
        : `rolled back: ${databases.map(([, n]) => n.database).join(', ')} are again the databases from before operation ${id}; offline for ${Math.round(offlineMs)} ms`,
    );
    await ctx.flush();
    if (!lease.lost) await settle(runtime, operation, 'rolled-back', options.actor ? { actor: options.actor } : {});
    return { operation: await runtime.operations.get(id), failure: undefined };
  } catch (error) {
    const reason = ctx.redactor.redact((error as Error).message);
    await ctx.flush().catch(() => {});
    if (lease.lost) {
      await log(`this process stopped working on the rollback: another process had ended it as abandoned`, 'error');
      return { operation: await runtime.operations.get(id), failure: reason };
    }
    await log(`rollback failed: ${reason}`, 'error');
    await settle(runtime, await runtime.operations.get(id), 'rollback-failed');
    return { operation: await runtime.operations.get(id), failure: reason };
  } finally {
    lease.release();
  }
}

/** A refresh's live databases are parked as `__rb_<id>`; a restore's go back to being the breadcrumb they were. */
async function swapBack(ctx: RunContext, operation: Operation, databases: readonly [DatabaseRole, OperationDatabase][]): Promise<number> {
  const swaps: (Swap & { role: DatabaseRole })[] = [];
  for (const [role, names] of databases) {
    if (await ctx.runtime.servers.onServer(ctx.targetUrls[role]!, role, (server) => server.exists(names.breadcrumb))) {
      swaps.push({ role, live: names.database, parkAs: operation.kind === 'restore' ? names.staging : derivedName(names.database, `__rb_${operation.id}`), replacement: names.breadcrumb });
    }
  }
  let offlineMs = 0;
  for (const group of groupByServer(ctx.targetUrls, swaps)) {
    offlineMs += await ctx.runtime.servers.onServer(group.url, 'target', async (server) => (await server.swap(group.items, () => fault('rollback:middle'))).offlineMs);
  }
  return offlineMs;
}
