import type { DatabaseRole } from '../../domain/environment.js';
import type { Runtime } from '../runtime.js';
import { settle } from '../runbook/settle.js';
import { reconcileCutover } from './cutover-state.js';

/**
 * Operations whose process stopped (killed, machine lost) would hold their target forever.
 * A runner silent for a whole lease (DATAALM_LEASE_SECONDS) has stopped. While a worker is
 * alive, a stopped refresh, restore, apply or rollback is its to take over and resume; with
 * no worker, any process that acts ends it: failed, with rollback offered, or canceled
 * (staging dropped) when a cancel had been asked for. A rollback cut short is then ended as
 * failed, with the rollback offered again.
 */
export async function reapAbandoned(runtime: Runtime): Promise<void> {
  const ops = runtime.operations;
  const lease = runtime.config.leaseSeconds;
  if ((await runtime.workers.live(lease)) > 0) return;
  for (const { id } of await ops.abandoned(lease)) {
    // One operation that cannot be settled now (its server unreachable) must not block the rest.
    await reapOne(runtime, id).catch((error: Error) =>
      ops.log(id, null, 'error', `could not end the abandoned operation yet: ${error.message}`).catch(() => {}),
    );
  }
}

async function reapOne(runtime: Runtime, id: number): Promise<void> {
  const ops = runtime.operations;
  const operation = await reconcileCutover(runtime, await ops.get(id));
  const since = `no heartbeat since ${operation.heartbeatAt}`;
  const urls = await runtime.environments.connectionUrls(operation.environment);
  const onEach = async (work: (role: DatabaseRole, url: string, names: { database: string; staging: string }) => Promise<unknown>) => {
    for (const [role, names] of Object.entries(operation.databases)) {
      const url = urls[role as DatabaseRole];
      if (url !== undefined) await work(role as DatabaseRole, url, names);
    }
  };
  if (operation.state === 'rolling-back') {
    // A swap cut short leaves nothing renamed (it is one transaction), but the live
    // databases closed to new sessions: open them again.
    await onEach((role, url, names) => runtime.servers.onServer(url, role, (server) => server.reopen(names.database)).catch(() => {}));
    if (await settle(runtime, operation, 'rollback-failed')) {
      await ops.log(id, 'rollback', 'error', `the process running the rollback stopped (${since}); run the rollback again`);
    }
    return;
  }
  // A refresh before its cutover, or an apply before its scripts, stops as canceled.
  if (operation.cancelRequested && operation.cutoverAt === null && (operation.kind === 'refresh' || (operation.kind === 'apply' && operation.cutoverStartedAt === null))) {
    await onEach((role, url, names) => runtime.servers.onServer(url, role, (server) => server.drop(names.staging)));
    if (await settle(runtime, operation, 'canceled')) {
      await ops.log(id, null, 'warning', `the process running the operation stopped (${since}); canceled as requested, staging removed`);
    }
    return;
  }
  const error = {
    code: 'WORKER_STOPPED' as const,
    message: `the process running operation ${id} stopped (${since})`,
    remedy:
      operation.kind === 'apply'
        ? `apply the package again: dataalm env apply ${operation.environment} --package ${String(operation.options.package)}`
        : `dataalm op rollback ${id}`,
  };
  if (await settle(runtime, operation, 'failed', { error })) {
    await ops.log(id, null, 'error', `${error.message}; the operation is marked failed`);
  }
}
