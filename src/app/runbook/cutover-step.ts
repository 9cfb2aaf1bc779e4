import type { DatabaseRole } from '../../domain/environment.js';
import type { OperationDatabase, StepName } from '../../domain/operation.js';
import { groupByServer } from '../../adapters/postgres/database-admin.js';
import type { DatabaseServer, Swap } from '../../ports/database-server.js';
import { fault } from '../faults.js';
import { loadProfile } from '../../adapters/profile/profile-files.js';
import { propertiesFromLive } from './refresh/copy-step.js';
import { reconcileCutover } from '../refresh/cutover-state.js';
import { pruneBreadcrumbs } from '../refresh/breadcrumbs.js';
import { type RunContext, failAtForTests, retry, round } from './run-context.js';
import type { Runbook, StepHandler } from './runbook.js';

/**
 * The only offline window of a refresh or restore: every live database is renamed to its
 * breadcrumb and its replacement (the staging copy, or the breadcrumb restored) renamed into
 * place, one transaction per server. Past its start the operation can no longer be canceled.
 */
export const cutoverStep: StepHandler = {
  async run(ctx) {
    const ops = ctx.runtime.operations;
    await ctx.passPointOfNoCancel('cut over');
    const crumbs = Object.entries(ctx.databases).map(([role, names]) => ({ role: role as DatabaseRole, database: names.breadcrumb, replaced: names.database }));
    // Written first: whatever happens next, the control data knows which names to look for.
    await ops.recordCutoverIntent(ctx.id, crumbs, ctx.runtime.config.breadcrumbRetentionSeconds);
    const planned = (Object.entries(ctx.databases) as [DatabaseRole, OperationDatabase][]).map(([role, names]) => ({
      role,
      live: names.database,
      parkAs: names.breadcrumb,
      replacement: names.staging,
    }));
    const done: { server: DatabaseServer; swaps: Swap[] }[] = [];
    let offlineMs = 0;
    let sessions = 0;
    try {
      for (const { url, items: swaps } of groupByServer(ctx.targetUrls, planned)) {
        const server = await ctx.runtime.servers.server(url, 'target');
        done.push({ server, swaps: [] });
        for (const swap of swaps) {
          if (ctx.operation.kind !== 'refresh' || !propertiesFromLive(loadProfile(ctx.target.profile))) continue;
          for (const warning of await server.copyAttributes(swap.live, swap.replacement)) await ctx.log('cutover', 'warning', `${swap.live}: ${warning}`);
        }
        const result = await server.swap(swaps, (moment) => fault(`cutover:between-${moment}`));
        done[done.length - 1]!.swaps.push(...swaps);
        offlineMs += result.offlineMs;
        sessions += result.terminatedSessions;
      }
    } catch (error) {
      // A later server failed: switch the ones already done back, so all databases stay of
      // one generation. Whether each swap stands is then read from the servers
      // (reconcileCutover, in the failure path), not assumed.
      for (const { server, swaps } of done.filter((d) => d.swaps.length > 0)) {
        await server.swap(swaps.map((s) => ({ live: s.live, parkAs: s.replacement, replacement: s.parkAs }))).catch(async (undo: Error) => {
          await ctx.log('cutover', 'error', `switching ${swaps.map((s) => s.live).join(', ')} back failed: ${undo.message}`);
        });
      }
      throw error;
    } finally {
      for (const { server } of done) await server.end().catch(() => {});
    }
    failAtForTests('cutover:swapped');
    await retry(() => ops.recordCutover(ctx.id, offlineMs));
    await ctx.log(
      'cutover',
      'info',
      `cutover done: ${Object.values(ctx.databases).map((d) => `${d.database} (previous one kept as ${d.breadcrumb})`).join(', ')}; offline for ${round(offlineMs)} ms; ${sessions} session(s) ended`,
      { offlineMs: round(offlineMs), sessions },
    );
    return { offlineMs: round(offlineMs), sessions };
  },
};

/**
 * Before a taken-over refresh or restore goes on: a cutover cut short is settled from the
 * servers, and one that had completed is marked so (the run goes on past it, uncancelable).
 * Returns the status each step had then.
 */
export async function resumeAfterCutover(ctx: RunContext): Promise<(name: StepName) => string | undefined> {
  const operation = await reconcileCutover(ctx.runtime, await ctx.runtime.operations.get(ctx.id));
  const status = (name: StepName) => operation.steps.find((s) => s.name === name)?.status;
  if (operation.cutoverAt !== null) {
    if (status('cutover') !== 'succeeded') {
      await ctx.runtime.operations.stepFinished(ctx.id, 'cutover', 'succeeded');
      await ctx.log('cutover', 'info', 'the cutover had completed before the previous worker stopped');
    }
    ctx.pointOfNoCancel = true;
  }
  return status;
}

/** Drops the target's breadcrumbs past their retention, as the last thing a refresh or restore does. */
export async function dropExpiredBreadcrumbs(ctx: RunContext): Promise<number> {
  const dropped = await pruneBreadcrumbs(ctx.runtime, ctx.target.name);
  for (const crumb of dropped) await ctx.log('post', 'info', `expired breadcrumb ${crumb} dropped`);
  return dropped.length;
}

/** What a failed or canceled refresh or restore says: both replace databases by a cutover. */
export const swapEndings: Pick<Runbook, 'afterFailure' | 'afterCancel'> = {
  async afterFailure(ctx, cutoverReached) {
    return cutoverReached
      ? `the new databases are live; dataalm op rollback ${ctx.id} swaps the previous ones back`
      : `the target was not touched; dataalm op rollback ${ctx.id} removes the staging databases`;
  },
  afterCancel() {
    return 'operation canceled before its cutover: the staging databases were removed; the target was never touched';
  },
};
