import type { Actor } from '../domain/actor.js';
import { DataalmError } from '../domain/errors/dataalm-error.js';
import { type MirrorRecord, SPARE_BUILD, formatBytes, needsSpare, pastLagLimit } from '../domain/mirror.js';
import { redactSecrets } from '../domain/redaction.js';
import type { MirrorNames } from '../engine/mirror/mirror-names.js';
import { readMirrorHealth } from '../engine/mirror/mirror-health.js';
import { MirrorBusy, buildSpare, spareNames, teardownSpare } from '../engine/mirror/spare.js';
import type { MirrorSpareStatus } from '../contract/index.js';
import { mirrorConnections, namesOf, resumePaused } from './mirror-service.js';
import type { Runtime } from './runtime.js';

/** A spare whose making failed is tried again after this long. */
const SPARE_RETRY_SECONDS = 300;
/** A spare "being made" for this long was left by a process that ended: it is made again. */
export const SPARE_STALE_SECONDS = 600;
/** How long a refresh waits for a spare's making to let go of the mirror before it copies instead. */
const PAUSE_WAIT_MS = 5 * 60_000;
const POLL_MS = 200;

export const spareNamesOf = (mirror: MirrorRecord): MirrorNames => spareNames(namesOf(mirror));

/** Asks a worker to make the mirror's spare (nothing when it wants none); a failure to ask is only reported. */
export async function requestSpare(runtime: Runtime, mirror: Pick<MirrorRecord, 'environment' | 'spareWanted'>): Promise<void> {
  if (!mirror.spareWanted) return;
  await runtime.queue.enqueueSpare({ environment: mirror.environment });
}

/**
 * `env mirror spare TARGET [--off]`: the mirror keeps a spare from now on (the caller makes it,
 * or asks a worker to), or keeps none (the one it has is taken down).
 */
export async function keepSpare(runtime: Runtime, environment: string, keep: boolean, actor: Actor): Promise<MirrorRecord> {
  if (!(await runtime.mirrors.setSpareWanted(environment, keep, actor))) {
    await runtime.environments.get(environment);
    throw new DataalmError('NOT_FOUND', `${environment} has no mirror`, { field: 'name', remedy: `dataalm env mirror enable ${environment} --source SOURCE --spare` });
  }
  const mirror = (await runtime.mirrors.find(environment))!;
  if (!keep) await dropUnwantedSpare(runtime, mirror);
  return mirror;
}

async function dropUnwantedSpare(runtime: Runtime, mirror: MirrorRecord): Promise<void> {
  // A refresh taking it renames it into its own database: nothing of it to remove.
  if (mirror.spare?.state === 'taken' && (await runtime.operations.activeOn(mirror.environment))?.id === mirror.spare.by) return runtime.mirrors.forgetSpare(mirror.environment);
  const urls = await mirrorConnections(runtime, mirror.source, mirror.environment);
  await teardownSpare(urls.sourceUrl, urls.targetUrl, spareNamesOf(mirror));
  await runtime.mirrors.forgetSpare(mirror.environment);
}

/** A refresh has ended: the spare it took (or that is missing) is made again, in the background. */
export async function spareAfterRefresh(runtime: Runtime, environment: string): Promise<void> {
  const mirror = await runtime.mirrors.find(environment);
  if (mirror && needsSpare(mirror)) await requestSpare(runtime, mirror);
}

/**
 * The job: makes the spare of `environment`'s mirror when it wants one and has none (another
 * process may have claimed it). The mirror is paused meanwhile, as a refresh pauses it, never
 * both at once. The outcome is recorded on the mirror (ready, or failed with why).
 */
export async function makeSpare(runtime: Runtime, environment: string, log: (line: string) => void, retryNow = false): Promise<void> {
  if (!(await runtime.mirrors.claimSpareBuild(environment, retryNow ? 0 : SPARE_RETRY_SECONDS, SPARE_STALE_SECONDS))) return;
  const mirror = (await runtime.mirrors.find(environment))!;
  try {
    const urls = await mirrorConnections(runtime, mirror.source, environment);
    // Paused by a making whose process died (this one could claim the making): resumed first.
    if (mirror.pausedBy === SPARE_BUILD) await resumePaused(runtime, mirror);
    await buildSpare({
      sourceUrl: urls.sourceUrl,
      targetUrl: urls.targetUrl,
      mirror: namesOf(mirror),
      published: mirror.tables.published,
      onPaused: async (paused) => {
        if (paused) return runtime.mirrors.claimPause(environment, SPARE_BUILD);
        await runtime.mirrors.setPausedBy(environment, null);
        return true;
      },
    });
    // Taken down (disabled, dropped, turned off) while it was made: what it made goes too.
    if (!(await runtime.mirrors.spareMade(environment, null))) await teardownSpare(urls.sourceUrl, urls.targetUrl, spareNamesOf(mirror));
  } catch (error) {
    if (error instanceof MirrorBusy) {
      // A refresh has the mirror paused: made once it is done (the refresh asks for it).
      await runtime.mirrors.forgetSpare(environment);
      return;
    }
    const message = redactSecrets((error as Error).message);
    await runtime.mirrors.spareMade(environment, message);
    log(`mirror of ${environment}: its spare could not be made: ${message} (tried again in ${SPARE_RETRY_SECONDS / 60} min)`);
  }
}

/**
 * The spare a refresh takes, when the mirror has one ready and healthy (its slot there, its
 * subscription running, not past the mirror's lag limit); it is no longer the mirror's once
 * taken. An unhealthy one is recorded failed and made again.
 */
export async function takeReadySpare(runtime: Runtime, mirror: MirrorRecord, operation: number): Promise<{ names: MirrorNames } | { names: undefined; reason: string | null }> {
  if (mirror.spare?.state !== 'ready' || !mirror.spareWanted) return { names: undefined, reason: null };
  const names = spareNamesOf(mirror);
  const urls = await mirrorConnections(runtime, mirror.source, mirror.environment);
  const reason = await unhealthy(urls, names, mirror.maxLagBytes);
  if (reason !== null) {
    // Its slot would keep the source's WAL until the next making: removed now.
    await teardownSpare(urls.sourceUrl, urls.targetUrl, names).catch(() => {});
    await runtime.mirrors.forgetSpare(mirror.environment, reason);
    return { names: undefined, reason };
  }
  return (await runtime.mirrors.takeSpare(mirror.environment, operation)) ? { names } : { names: undefined, reason: 'another refresh took the spare' };
}

async function unhealthy(urls: { sourceUrl: string; targetUrl: string }, names: MirrorNames, maxLagBytes: number): Promise<string | null> {
  // A database that is gone is an error of the health read (its subscription cannot be read).
  const health = await readMirrorHealth(urls.sourceUrl, urls.targetUrl, names, { fingerprint: false });
  if (health.errors.length > 0) return health.errors.join('; ');
  if (!health.slot?.exists) return `its replication slot ${names.slot} is gone from the source`;
  if (!health.subscription?.exists || !health.subscription.enabled) return 'its replication stopped on an error';
  if (health.slot.lagBytes > maxLagBytes) return `it is ${formatBytes(health.slot.lagBytes)} behind, past the mirror's limit`;
  return null;
}

/**
 * A refresh is about to pause the mirror (to copy it): it waits while a spare is being made
 * from it (a few seconds: one file copy), at most PAUSE_WAIT_MS. False: it still could not.
 */
export async function claimMirrorPause(runtime: Runtime, environment: string, operation: number): Promise<boolean> {
  const deadline = Date.now() + PAUSE_WAIT_MS;
  for (;;) {
    if (await runtime.mirrors.claimPause(environment, operation)) return true;
    const mirror = await runtime.mirrors.find(environment);
    if (!mirror || mirror.state !== 'streaming') return false;
    if (mirror.pausedBy === SPARE_BUILD) await settleSparePause(runtime, mirror);
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** A pause left by a spare's making whose process ended (it went silent SPARE_STALE_SECONDS ago): the mirror resumed. */
export async function settleSparePause(runtime: Runtime, mirror: MirrorRecord): Promise<MirrorRecord> {
  if (mirror.pausedBy !== SPARE_BUILD) return mirror;
  const building = mirror.spare?.state === 'building' && Date.now() - Date.parse(mirror.spare.at) < SPARE_STALE_SECONDS * 1000;
  if (building) return mirror;
  return resumePaused(runtime, mirror);
}

/** The service's watch over spares: one whose slot holds more of the source's WAL than the mirror's limit is taken down (and made again later). */
export async function watchSpare(runtime: Runtime, mirror: MirrorRecord, log: (line: string) => void): Promise<void> {
  // Made while it was being turned off: taken down.
  if (!mirror.spareWanted && mirror.spare?.state === 'ready') return dropUnwantedSpare(runtime, mirror);
  if (!mirror.spareWanted || mirror.spare?.state !== 'ready') return;
  const urls = await mirrorConnections(runtime, mirror.source, mirror.environment);
  const names = spareNamesOf(mirror);
  const health = await readMirrorHealth(urls.sourceUrl, urls.targetUrl, names, { fingerprint: false });
  const retained = health.slot?.retainedBytes ?? 0;
  if (health.slot && pastLagLimit(health.slot, mirror.maxLagBytes)) {
    const reason = `its replication slot held ${formatBytes(retained)} of the source's WAL, more than the mirror's limit of ${formatBytes(mirror.maxLagBytes)}: taken down`;
    await teardownSpare(urls.sourceUrl, urls.targetUrl, names);
    await runtime.mirrors.forgetSpare(mirror.environment, reason);
    log(`mirror of ${mirror.environment}: spare ${reason}`);
  }
}

/** Every worker's sweep: a spare that is missing, failed a while ago, or whose making went silent is asked for. */
export async function askForSpares(runtime: Runtime): Promise<void> {
  const now = Date.now();
  for (const mirror of await runtime.mirrors.list()) {
    if (mirror.state !== 'streaming' || !mirror.spareWanted || mirror.pausedBy !== null) continue;
    const age = mirror.spare ? now - Date.parse(mirror.spare.at) : Infinity;
    // A spare taken by a refresh: made again once that refresh has ended.
    const taken = mirror.spare?.state === 'taken' && (await runtime.operations.activeOn(mirror.environment))?.id !== mirror.spare.by;
    const due = mirror.spare === null || taken || (mirror.spare.state === 'building' && age > SPARE_STALE_SECONDS * 1000) || (mirror.spare.state === 'failed' && age > SPARE_RETRY_SECONDS * 1000);
    if (due) await requestSpare(runtime, mirror);
  }
}

/** Takes the spare down, whatever state it is in (before the mirror: it uses the mirror's publication). */
export async function takeDownSpare(sourceUrl: string, targetUrl: string, mirror: MirrorRecord): Promise<void> {
  await teardownSpare(sourceUrl, targetUrl, spareNamesOf(mirror));
}

/** The spare as `env mirror status` shows it (null: none wanted). */
export async function spareStatus(runtime: Runtime, mirror: MirrorRecord): Promise<MirrorSpareStatus | null> {
  if (!mirror.spareWanted) return null;
  const state = mirror.spare?.state ?? 'missing';
  let lagBytes: number | null = null;
  if (state === 'ready') {
    const urls = await mirrorConnections(runtime, mirror.source, mirror.environment);
    const health = await readMirrorHealth(urls.sourceUrl, urls.targetUrl, spareNamesOf(mirror), { fingerprint: false });
    lagBytes = health.slot?.lagBytes ?? null;
  }
  return { state, database: spareNamesOf(mirror).database, since: mirror.spare?.at ?? null, lagBytes, error: mirror.spare?.error ?? null };
}
