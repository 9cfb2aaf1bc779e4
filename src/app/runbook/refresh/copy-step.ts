import type { DatabaseRole } from '../../../domain/environment.js';
import type { Profile } from '../../../domain/profile/profile-schema.js';
import type { StepName } from '../../../domain/operation.js';
import { loadProfile } from '../../../adapters/profile/profile-files.js';
import { parseConnectionUrl, withDatabase } from '../../../adapters/postgres/connection-url.js';
import { refreshRoleMap } from '../../../domain/preflight/copy-needs.js';
import type { CopyEvent, CopyPhase, CopyResult } from '../../../engine/copy-events.js';
import { copyDatabase } from '../../../engine/copy-database.js';
import { fault } from '../../faults.js';
import { verifyKept } from '../../refresh/verification.js';
import { Canceled, type RunContext, failAtForTests, round } from '../run-context.js';
import type { StepHandler } from '../runbook.js';
import { StepTracker, sumProgress } from './step-tracker.js';
import { MirrorUnusable, chooseMirror, copyFromMirror } from './mirror-copy.js';
import type { CloneResult } from '../../../engine/mirror/clone-mirror.js';

/** The five steps one copy passes through, in order. */
export const COPY_STEPS: readonly StepName[] = ['prepare', 'schema', 'data', 'keep-target', 'constraints'];

/** Copy phases → the runbook step they belong to. The count check runs inside the snapshot, at the end. */
const PHASE_STEP: Record<CopyPhase, StepName> = {
  preflight: 'prepare',
  schema: 'schema',
  data: 'data',
  keep: 'keep-target',
  constraints: 'constraints',
  verify: 'constraints',
};

/** Attempts of the copy when a connection to the source or the target is lost. */
const COPY_ATTEMPTS = 3;

/**
 * The copy of every database, with the five copy steps marked as the copies pass them.
 * Entered again (after a crash or a failed attempt), it drops the staging databases and
 * starts over from a new snapshot: a snapshot does not survive its session.
 */
export const copyStep: StepHandler = {
  marksItself: true,
  async run(ctx) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await copyOnce(ctx);
      } catch (error) {
        if (attempt >= COPY_ATTEMPTS || ctx.signal.aborted || !lostConnection(error)) throw error;
        const wait = 1000 * 2 ** (attempt - 1);
        await ctx.log(
          'data',
          'warning',
          `the copy lost a database connection (${ctx.redactor.redact((error as Error).message)}); it starts again from a new snapshot in ${wait / 1000} s (attempt ${attempt + 1} of ${COPY_ATTEMPTS})`,
        );
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  },
};

async function copyOnce(ctx: RunContext): Promise<void> {
  const ops = ctx.runtime.operations;
  const operation = await ops.get(ctx.id);
  if (COPY_STEPS.every((s) => operation.steps.find((x) => x.name === s)?.status === 'succeeded')) return;
  if (operation.steps.some((s) => COPY_STEPS.includes(s.name) && s.attempts > 0)) {
    await ctx.log('prepare', 'warning', 'the copy was interrupted earlier: it starts again from a new snapshot of the source');
  }
  failAtForTests('prepare');
  ctx.failedAt = undefined;
  const dropped = await ctx.dropStaging();
  if (dropped.length > 0) await ctx.log('prepare', 'info', `removed staging database(s) left by an earlier attempt: ${dropped.join(', ')}`);
  const profile = loadProfile(ctx.target.profile);
  const plain = loadProfile('plain');
  const maskKey = ctx.runtime.secrets.derive('masks');
  const jobs = Number(operation.options.jobs ?? 2);
  const verify = operation.options.verify === 'checksums' ? 'checksums' : 'counts';
  const roles = Object.keys(ctx.databases) as DatabaseRole[];
  const tracker = new StepTracker(COPY_STEPS, roles, async (step, status) => {
    if (status === 'running') {
      fault(`before:${step}`);
      await ops.stepStarted(ctx.id, step);
      ctx.emit({ type: 'step', step, status });
      await ctx.log(step, 'info', `step ${step} started`);
      if (step === 'prepare') await ctx.log('prepare', 'info', `creating staging database(s) ${roles.map((r) => ctx.databases[r]!.staging).join(', ')}`);
    } else {
      await ops.stepFinished(ctx.id, step, 'succeeded', { seconds: tracker.seconds(step) });
      await ctx.log(step, 'info', `step ${step} succeeded (${tracker.seconds(step)} s)`);
      ctx.emit({ type: 'step', step, status });
      fault(`after:${step}`);
    }
  });
  const progress = new Map<DatabaseRole, Extract<CopyEvent, { type: 'progress' }>>();
  let lastTable: string | null = null;
  let lastSaved = 0;
  const local = new AbortController();
  const onAbort = () => local.abort(ctx.signal.reason);
  ctx.signal.addEventListener('abort', onAbort, { once: true });
  // One copy failed: end the others at once rather than at their next phase.
  local.signal.addEventListener('abort', () => void ctx.dropStaging().catch(() => {}), { once: true });
  // The step each copy is in: a failure is the step of the copy that failed, not of the slowest.
  const reached = new Map<DatabaseRole, StepName>();
  const onEvent = (role: DatabaseRole, event: CopyEvent) => {
    if (event.type === 'phase' && event.status === 'started') reached.set(role, PHASE_STEP[event.phase]);
    if (event.type === 'phase') tracker.phase(role, PHASE_STEP[event.phase], event.status);
    else if (event.type === 'warning') void ctx.log(PHASE_STEP.preflight, 'warning', `${role}: ${event.message}`);
    else if (event.type === 'table') {
      if (role === 'application') lastTable = event.table;
      const mb = (event.bytes / 1048576).toFixed(1);
      void ctx.log('data', 'info', `${role}: ${event.table} (${event.mode}): ${event.rows} rows, ${mb} MiB in ${round(event.seconds)} s`, {
        table: event.table,
        rows: event.rows,
        bytes: event.bytes,
      });
    } else if (role === 'application') {
      // The application database is nearly all of the bytes; the reporting copy's few
      // tables would only make the bar jump.
      progress.set(role, event);
      // Some tables are in and others are streaming: the middle of a table's copy.
      if (event.tablesDone > 0 && event.tablesDone < event.tablesTotal) fault('data:mid-table');
      const sum = sumProgress([...progress.values()]);
      ctx.emit({ type: 'progress', step: 'data', ...sum, lastTable });
      if (Date.now() - lastSaved > 1000) {
        lastSaved = Date.now();
        ctx.queue(() => ops.stepCounters(ctx.id, 'data', sum));
      }
    }
  };
  // The application database comes from the target's mirror when it has a usable one.
  const mirror = roles.includes('application') ? await chooseMirror(ctx) : undefined;
  const fromMirror = async (): Promise<CopyResult | undefined> => {
    if (!mirror) return undefined;
    try {
      return await copyFromMirror(ctx, mirror, {
        profile: withRefreshRoles(profile, ctx.sourceUrls.application!, ctx.targetUrls.application!),
        maskKey,
        jobs,
        verify,
        databaseProperties: propertiesFromLive(profile) ? 'caller' : 'source',
        staging: ctx.databases.application!.staging,
        signal: local.signal,
        onEvent: (event) => onEvent('application', event),
        inspectKept: async (copy, keepSnapshot, known) => {
          const { checks, digests, horizon } = await verifyKept(profile, profile.salt ?? maskKey, copy, keepSnapshot, known);
          await ops.stepCounters(ctx.id, 'keep-target', { checks, digests, horizon });
        },
      });
    } catch (error) {
      if (!(error instanceof MirrorUnusable)) throw error;
      await ctx.log('prepare', 'warning', `the mirror is not used: ${error.reason}; the database is copied instead`);
      return undefined;
    }
  };
  const copies = roles.map(async (role): Promise<[DatabaseRole, CopyResult]> => {
    try {
      const cloned = role === 'application' ? await fromMirror() : undefined;
      const result = cloned ?? await copyDatabase({
        sourceUrl: ctx.sourceUrls[role]!,
        targetUrl: withDatabase(ctx.targetUrls[role]!, ctx.databases[role]!.staging),
        keepFromUrl: role === 'application' ? ctx.targetUrls.application : undefined,
        profile: withRefreshRoles(role === 'application' ? profile : plain, ctx.sourceUrls[role]!, ctx.targetUrls[role]!),
        // The live database's properties are the environment's: given at cutover (cutover-step).
        databaseProperties: propertiesFromLive(profile) ? 'caller' : 'source',
        maskKey,
        jobs: role === 'application' ? jobs : 1,
        verify,
        pgBin: ctx.runtime.config.pgBin,
        signal: local.signal,
        ...(role === 'application'
          ? {
              inspectKept: async (copy, keepSnapshot) => {
                const { checks, digests, horizon } = await verifyKept(profile, profile.salt ?? maskKey, copy, keepSnapshot);
                await ops.stepCounters(ctx.id, 'keep-target', { checks, digests, horizon });
              },
            }
          : {}),
        onEvent: (event) => onEvent(role, event),
      });
      await recordCopy(ctx, role, result);
      tracker.done(role);
      return [role, result];
    } catch (error) {
      // The first copy to fail names the step; the others fail because it ended them.
      if (!local.signal.aborted) ctx.failedAt = reached.get(role) ?? 'prepare';
      local.abort(error);
      throw error;
    }
  });
  try {
    const settled = await Promise.allSettled(copies);
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw ctx.signal.aborted ? new Canceled() : failed.reason;
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
    await tracker.idle();
  }
  await ctx.flush();
}

/**
 * What a copy did, in the data step's counters (the verify step's row-count check reads them),
 * written before the copy's last step is marked done: a run resumed after it finds them.
 */
async function recordCopy(ctx: RunContext, role: DatabaseRole, result: CopyResult): Promise<void> {
  const cloned = 'method' in result ? (result as CloneResult) : undefined;
  const summary = {
    method: cloned ? 'mirror' : 'copy',
    ...(cloned ? { lagBytes: cloned.lagBytes, dataFrom: cloned.dataFrom, refreshTimeTables: cloned.refreshTimeTables, fileCopy: cloned.fileCopy } : {}),
    tables: result.tables,
    rows: result.rows,
    bytes: result.bytes,
    seconds: result.seconds.data,
    verified: result.verified,
    masked: result.tableResults.filter((t) => t.masked.length > 0).map((t) => t.table),
  };
  await ctx.runtime.operations.stepCounters(ctx.id, 'data', {
    [role]: summary,
    ...(role === 'application' ? { method: summary.method, rows: result.rows, bytes: result.bytes, seconds: result.seconds.data } : {}),
    ...(role === 'application' && cloned ? { lagBytes: cloned.lagBytes, dataFrom: cloned.dataFrom, fileCopy: cloned.fileCopy } : {}),
  });
  await ctx.log(
    'constraints',
    'info',
    cloned
      ? `${role}: ${result.tables} tables, ${result.verified === 'checksums' ? '' : 'about '}${result.rows} rows in ${ctx.databases[role]!.staging}, ${cloned.fileCopy === 'spare' ? "the mirror's spare (compared with the paused mirror by file sizes when it was made, current since)" : `cloned from the mirror; compared with the paused mirror (${result.verified === 'checksums' ? 'row counts and checksums' : 'file sizes'})`}, tables copied at refresh time with the source snapshot`
      : `${role}: ${result.tables} tables, ${result.rows} rows, ${(result.bytes / 1048576).toFixed(1)} MiB copied into ${ctx.databases[role]!.staging}; row ${result.verified} equal the source snapshot (checked inside it)`,
    { role, ...summary },
  );
}

/** The profile with the refresh's role map: the source environment's user becomes the target's. */
function withRefreshRoles<P extends { roles: Record<string, string> }>(profile: P, sourceUrl: string, targetUrl: string): P {
  const [from, to] = [parseConnectionUrl(sourceUrl, 'source'), parseConnectionUrl(targetUrl, 'target')];
  return { ...profile, roles: refreshRoleMap(profile.roles, from.user, to.user) };
}

/**
 * A connection to the source or the target ended under the copy (a backend terminated, a
 * server restarted, the network lost): worth a new attempt, unlike a wrong schema or data.
 */
export function lostConnection(error: unknown): boolean {
  const CODES = new Set(['57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT']);
  for (let e = error as { code?: string; message?: string; cause?: unknown } | undefined, depth = 0; e && depth < 8; e = e.cause as typeof e, depth++) {
    if (e.code !== undefined && CODES.has(e.code)) return true;
    if (/terminating connection|Connection terminated|server closed the connection|connection to server .* failed/i.test(e.message ?? '')) return true;
  }
  return false;
}

/**
 * Whether a refresh gives its new databases the live ones' database-level properties (who
 * may connect, comment, settings, role settings): the profile's databaseProperties, by
 * default 'target' in a refresh.
 */
export function propertiesFromLive(profile: Pick<Profile, 'databaseProperties'>): boolean {
  return (profile.databaseProperties ?? 'target') === 'target';
}
