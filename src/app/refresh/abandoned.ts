import type { DatabaseRole } from '../../domain/environment.js';
import { dropDatabaseIfExists, onServer, reopenDatabase } from '../../adapters/postgres/database-admin.js';
import type { Runtime } from '../runtime.js';
import { reconcileCutover } from './cutover-state.js';

/**
 * Operations whose process stopped (killed, machine lost) would hold their target forever.
 * A runner silent for a whole lease (DATAALM_LEASE_SECONDS) has stopped. While a worker is
 * alive, a stopped refresh or restore is its to take over and resume; with no worker, any
 * process that looks ends it: failed, with rollback offered, or canceled (staging dropped)
 * when a cancel had been asked for. A rollback cut short is always ended as failed, with
 * the rollback offered again.
 */
export async function reapAbandoned(runtime: Runtime): Promise<void> {
  const ops = runtime.operations;
  const lease = runtime.config.leaseSeconds;
  const workers = await runtime.workers.live(lease);
  for (const { id, state } of await ops.abandoned(lease)) {
    if (workers > 0 && state === 'running') continue;
    // One operation that cannot be settled now (its server unreachable) must not block the rest.
    await reapOne(runtime, id).catch((error: Error) =>
      ops.log(id, null, 'error', `could not end the abandoned operation yet: ${error.message}`).catch(() => {}),
    );
  }
}

async function reapOne(runtime: Runtime, id: number): Promise<void> {
  const ops = runtime.operations;
  {
    const operation = await reconcileCutover(runtime, await ops.get(id));
    const since = `no heartbeat since ${operation.heartbeatAt}`;
    if (operation.state === 'rolling-back') {
      if (await ops.transition(id, ['rolling-back'], 'failed')) {
        // A swap cut short leaves nothing renamed (it is one transaction), but the live
        // databases closed to new sessions: open them again.
        const urls = await runtime.environments.connectionUrls(operation.environment);
        for (const [role, names] of Object.entries(operation.databases)) {
          const url = urls[role as DatabaseRole];
          if (url === undefined) continue;
          await onServer(url, role, (admin) => reopenDatabase(admin, names.database)).catch(() => {});
        }
        await ops.log(id, 'rollback', 'error', `the process running the rollback stopped (${since}); run the rollback again`);
      }
      return;
    }
    // A refresh before its cutover, or an apply before its scripts, stops as canceled.
    if (operation.cancelRequested && operation.cutoverAt === null && (operation.kind === 'refresh' || (operation.kind === 'apply' && operation.cutoverStartedAt === null))) {
      const urls = await runtime.environments.connectionUrls(operation.environment);
      for (const [role, names] of Object.entries(operation.databases)) {
        const url = urls[role as DatabaseRole];
        if (url === undefined) continue;
        await onServer(url, role, (admin) => dropDatabaseIfExists(admin, names.staging));
      }
      if (await ops.transition(id, ['running'], 'canceled')) {
        await ops.closeOpenSteps(id, 'canceled');
        await ops.log(id, null, 'warning', `the process running the operation stopped (${since}); canceled as requested, staging removed`);
        await runtime.environments.setState(operation.environment, 'deployed');
      }
      return;
    }
    const error = {
      code: 'WORKER_STOPPED',
      message: `the process running operation ${id} stopped (${since})`,
      remedy:
        operation.kind === 'apply'
          ? `apply the package again: dataalm env apply ${operation.environment} --package ${String(operation.options.package)}`
          : `dataalm op rollback ${id}`,
    };
    if (await ops.transition(id, ['running'], 'failed', { error })) {
      await ops.closeOpenSteps(id, 'failed');
      await ops.log(id, null, 'error', `${error.message}; the operation is marked failed`);
      await runtime.environments.addHistory(operation.environment, `${operation.kind} (operation ${id}): failed`, { operation: id, state: 'failed' });
      await runtime.environments.setState(operation.environment, operation.cutoverAt === null ? 'deployed' : 'failed');
    }
  }
}
