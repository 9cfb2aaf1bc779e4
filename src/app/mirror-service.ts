import crypto from 'node:crypto';
import type { Actor } from '../domain/actor.js';
import { SYSTEM_ACTOR } from '../domain/actor.js';
import { DataalmError } from '../domain/errors/dataalm-error.js';
import type { Environment } from '../domain/environment.js';
import { type MirrorRecord, SPARE_BUILD, formatBytes, pastLagLimit } from '../domain/mirror.js';
import type { MirrorRemoved, MirrorStatus } from '../contract/index.js';
import { loadProfile } from '../adapters/profile/profile-files.js';
import { parseConnectionUrl, withDatabase } from '../adapters/postgres/connection-url.js';
import type { CopyEvent } from '../engine/copy-events.js';

export type { CopyEvent } from '../engine/copy-events.js';
import { type MirrorHealth, readMirrorHealth } from '../engine/mirror/mirror-health.js';
import { type MirrorNames, newMirrorNames } from '../engine/mirror/mirror-names.js';
import { type Removed, teardownMirror } from '../engine/mirror/mirror-teardown.js';
import { SeedFailed, seedMirror } from '../engine/mirror/seed-mirror.js';
import { resumeSubscription } from '../engine/mirror/subscription-control.js';
import { refreshRoleMap } from '../domain/preflight/copy-needs.js';
import { redactSecrets } from '../domain/redaction.js';
import { requestSpare, settleSparePause, spareStatus, takeDownSpare, watchSpare } from './mirror-spare.js';
import type { Runtime } from './runtime.js';

export interface EnableRequest {
  readonly source: string;
  /** Source WAL the mirror may hold before it is dropped. (Default: DATAALM_MIRROR_MAX_LAG) */
  readonly maxLagBytes?: number;
  /** Copy workers of the seed. (Default: 2) */
  readonly jobs?: number;
  /** Keep a spare beside the mirror (mirror-spare.ts): a refresh takes it by a rename. (Default: false) */
  readonly spare?: boolean;
  /** Stops the seed; what it made is removed. */
  readonly signal?: AbortSignal;
}

/** The target's profile as a mirror applies it: a mirror seeded with another is not used. */
export function profileFingerprint(target: Environment): string {
  return crypto.createHash('sha256').update(JSON.stringify(loadProfile(target.profile))).digest('hex');
}

/**
 * The connections a mirror works with: the environments' own, except on dataalm's embedded
 * server, whose superuser replicates, subscribes and clones there (the embedded
 * environments' users are not superusers, and the server is dataalm's own).
 */
export async function mirrorConnections(runtime: Runtime, source: string, target: string): Promise<{ sourceUrl: string; targetUrl: string; sourceUser: string; targetUser: string }> {
  const [sourceUrls, targetUrls] = await Promise.all([runtime.environments.connectionUrls(source), runtime.environments.connectionUrls(target)]);
  if (!sourceUrls.application || !targetUrls.application) {
    throw new DataalmError('INVALID_INPUT', `${sourceUrls.application ? target : source} has no application database to mirror`, { field: 'name' });
  }
  const embedded = runtime.embedded && parseConnectionUrl(runtime.serverUrl, 'server');
  const own = (url: string) => {
    const at = parseConnectionUrl(url, 'database');
    return embedded && at.host === embedded.host && at.port === embedded.port ? withDatabase(runtime.serverUrl, at.database) : url;
  };
  return {
    sourceUrl: own(sourceUrls.application),
    targetUrl: own(targetUrls.application),
    sourceUser: parseConnectionUrl(sourceUrls.application, 'source').user,
    targetUser: parseConnectionUrl(targetUrls.application, 'target').user,
  };
}

/** Seeds running in this process, by target: a disable here stops one and waits for its clean-up. */
const seeding = new Map<string, { stop: AbortController; done: Promise<void> }>();
/** A seed says it is alive this often; one silent for SEED_STALE_SECONDS stopped (its process ended). */
const SEED_HEARTBEAT_MS = 5000;
const SEED_STALE_SECONDS = 60;

export const namesOf = (mirror: MirrorRecord): MirrorNames => ({ publication: mirror.publication, slot: mirror.slot, subscription: mirror.subscription, database: mirror.database });

/**
 * Checks a mirror can be made, and records it as being seeded: what the seed makes can
 * always be found and removed. The seed itself is `seed`: run it now (CLI) or in the
 * background (HTTP API).
 */
export async function prepareMirror(runtime: Runtime, name: string, request: EnableRequest, actor: Actor): Promise<{ record: MirrorRecord; seed: (onEvent?: (event: CopyEvent) => void) => Promise<MirrorRecord> }> {
  const target = await runtime.environments.get(name);
  if (target.type === 'production') {
    throw new DataalmError('INVALID_INPUT', `${name} is a production environment: it is never refreshed, so it has no mirror`, { field: 'name', remedy: 'enable the mirror on the sandbox that is refreshed' });
  }
  if (request.source === name) throw new DataalmError('INVALID_INPUT', 'source (--source): must be another environment than the target', { field: 'source' });
  const source = await runtime.environments.get(request.source).catch((error: DataalmError) => {
    if (error.code !== 'NOT_FOUND') throw error;
    throw new DataalmError('NOT_FOUND', `source (--source): environment "${request.source}" does not exist`, { field: 'source', remedy: 'dataalm env list' });
  });
  const urls = await mirrorConnections(runtime, source.name, name);
  const busy = await runtime.operations.activeOn(name);
  if (busy) throw new DataalmError('REFUSED', `${name} is busy with operation ${busy.id} (${busy.kind}): enable the mirror when it has ended`);
  const names = newMirrorNames(parseConnectionUrl(urls.targetUrl, 'target').database);
  const record = await runtime.mirrors.create(
    { environment: name, source: source.name, ...names, maxLagBytes: request.maxLagBytes ?? runtime.config.mirrorMaxLagBytes, profileFingerprint: profileFingerprint(target), spareWanted: request.spare ?? false },
    actor,
  );
  const seed = async (onEvent?: (event: CopyEvent) => void): Promise<MirrorRecord> => {
    const profile = loadProfile(target.profile);
    // Known to this process, so a disable here stops it; alive, so one elsewhere waits for it.
    const stop = new AbortController();
    const onStop = () => stop.abort();
    request.signal?.addEventListener('abort', onStop, { once: true });
    const alive = setInterval(() => void runtime.mirrors.touch(name).catch(() => {}), SEED_HEARTBEAT_MS);
    let finished!: () => void;
    seeding.set(name, { stop, done: new Promise<void>((resolve) => (finished = resolve)) });
    try {
      const seeded = await seedMirror({
        sourceUrl: urls.sourceUrl,
        targetUrl: urls.targetUrl,
        profile: { ...profile, roles: refreshRoleMap(profile.roles, urls.sourceUser, urls.targetUser) },
        maskKey: runtime.secrets.derive('masks'),
        jobs: request.jobs ?? 2,
        pgBin: runtime.config.pgBin,
        names,
        spare: request.spare ?? false,
        onEvent,
        signal: stop.signal,
      });
      await runtime.mirrors.seeded(name, { schemaFingerprint: seeded.schemaFingerprint, tables: seeded.tables });
      await requestSpare(runtime, record).catch(() => {});
    } catch (error) {
      // Nothing left behind (the seed removed what it made): forget it; otherwise keep it for disable.
      if (error instanceof SeedFailed && error.leftovers) await runtime.mirrors.setState(name, 'failed', redactSecrets(error.message));
      else await runtime.mirrors.remove(name, actor, { failed: redactSecrets((error as Error).message) }, 'environment.mirror-failed');
      throw error;
    } finally {
      clearInterval(alive);
      request.signal?.removeEventListener('abort', onStop);
      seeding.delete(name);
      finished();
    }
    return (await runtime.mirrors.find(name))!;
  };
  return { record, seed };
}

/** `env mirror enable`: prepares and seeds, here and now. */
export async function enableMirror(runtime: Runtime, name: string, request: EnableRequest, actor: Actor, onEvent?: (event: CopyEvent) => void): Promise<MirrorStatus> {
  const { seed } = await prepareMirror(runtime, name, request, actor);
  await seed(onEvent);
  return mirrorStatus(runtime, name);
}

/** The mirror of `name`, judged now. NOT_FOUND when it has none. */
export async function mirrorStatus(runtime: Runtime, name: string): Promise<MirrorStatus> {
  const mirror = await runtime.mirrors.find(name);
  if (!mirror) {
    await runtime.environments.get(name);
    throw new DataalmError('NOT_FOUND', `${name} has no mirror`, { field: 'name', remedy: `dataalm env mirror enable ${name} --source SOURCE` });
  }
  const health = mirror.state === 'streaming' ? await healthOf(runtime, mirror, true) : undefined;
  const target = await runtime.environments.get(name);
  const spare = await spareStatus(runtime, mirror);
  return view(mirror, health, judge(mirror, health, profileFingerprint(target)), spare);
}

/**
 * Whether a refresh of `target` from `source` can clone the target's mirror; when not, why
 * (null: the target has no mirror, so there is nothing to say).
 */
export async function mirrorForRefresh(
  runtime: Runtime,
  target: Environment,
  source: string,
  self?: number,
  /** Read the source's schema digest too (a preview); a refresh's clone checks it in its snapshot. */
  schema = true,
): Promise<{ usable: true; mirror: MirrorRecord; lagBytes: number | null } | { usable: false; reason: string | null }> {
  const found = await runtime.mirrors.find(target.name);
  if (!found) return { usable: false, reason: null };
  const mirror = await settlePause(runtime, found, self);
  if (mirror.source !== source) return { usable: false, reason: `${target.name}'s mirror is of ${mirror.source}, not ${source}` };
  const health = mirror.state === 'streaming' ? await healthOf(runtime, mirror, schema) : undefined;
  const judged = judge(mirror, health, profileFingerprint(target));
  if (!judged.usable) return { usable: false, reason: judged.reason };
  return { usable: true, mirror, lagBytes: health?.slot?.lagBytes ?? null };
}

/** `env mirror disable`: everything of the mirror removed, on the source first of all its slot. */
export async function disableMirror(runtime: Runtime, name: string, actor: Actor): Promise<MirrorRemoved> {
  let mirror = await runtime.mirrors.find(name);
  if (!mirror) {
    await runtime.environments.get(name);
    throw new DataalmError('NOT_FOUND', `${name} has no mirror`, { field: 'name' });
  }
  if (mirror.state === 'seeding') {
    const here = seeding.get(name);
    if (here) {
      // Stopped here: the seed removes what it made and forgets the mirror.
      here.stop.abort();
      await here.done;
      const left = await runtime.mirrors.find(name);
      if (!left) return { environment: name, removed: { subscription: false, slot: true, publication: true, database: true } };
      // It had finished before it could be stopped: taken down as any other.
      mirror = left;
    }
    const idle = await runtime.mirrors.idleSeconds(name);
    if (mirror.state === 'seeding' && idle !== undefined && idle < SEED_STALE_SECONDS) {
      throw new DataalmError('REFUSED', `the mirror of ${name} is being seeded by another dataalm process: disable it when the seed has ended`, {
        remedy: `dataalm env mirror status ${name} shows when it is streaming (or failed)`,
      });
    }
  }
  const busy = await runtime.operations.activeOn(name);
  if (busy && (mirror.pausedBy === busy.id || mirror.spare?.by === busy.id)) {
    throw new DataalmError('REFUSED', `a refresh of ${name} (operation ${busy.id}) is cloning the mirror: disable it when the refresh has ended`);
  }
  const removed = await takeDown(runtime, mirror);
  await runtime.mirrors.remove(name, actor, { removed });
  return { environment: name, removed };
}

/** `env mirror resync`: the mirror taken down and seeded again from a new snapshot, same source and limit. */
export async function prepareResync(runtime: Runtime, name: string, actor: Actor): Promise<{ record: MirrorRecord; seed: (onEvent?: (event: CopyEvent) => void) => Promise<MirrorRecord> }> {
  const mirror = await runtime.mirrors.find(name);
  if (!mirror) {
    await runtime.environments.get(name);
    throw new DataalmError('NOT_FOUND', `${name} has no mirror to resync`, { field: 'name', remedy: `dataalm env mirror enable ${name} --source SOURCE` });
  }
  await disableMirror(runtime, name, actor);
  return prepareMirror(runtime, name, { source: mirror.source, maxLagBytes: mirror.maxLagBytes, spare: mirror.spareWanted }, actor);
}

/**
 * Before an environment is removed: the mirrors it has, and those of which it is the
 * source, are taken down, so no slot is left holding the source's WAL.
 */
export async function removeMirrorsOf(runtime: Runtime, name: string, actor: Actor): Promise<void> {
  for (const mirror of await runtime.mirrors.list()) {
    if (mirror.environment !== name && mirror.source !== name) continue;
    const removed = await takeDown(runtime, mirror);
    await runtime.mirrors.remove(mirror.environment, actor, { removed, because: `environment ${name} is removed` });
  }
}

/**
 * The service's watch over its mirrors: a subscription a crashed refresh left paused is
 * resumed; a mirror whose slot keeps more than half its lag limit of the source's WAL is
 * warned about; one past the limit that is behind as well (or past twice the limit in any
 * case) is dropped, slot and all, so the source's disk does not fill with WAL kept for it.
 */
export async function checkMirrors(runtime: Runtime, log: (line: string) => void): Promise<void> {
  for (const mirror of await runtime.mirrors.list()) {
    if (mirror.state !== 'streaming') continue;
    try {
      const settled = await settlePause(runtime, mirror);
      if (settled.pausedBy === null && mirror.pausedBy !== null) {
        log(`mirror of ${mirror.environment}: resumed replication that ${mirror.pausedBy === SPARE_BUILD ? 'the making of its spare' : `operation ${mirror.pausedBy}`} had paused`);
      }
      await watchSpare(runtime, settled, log);
      const health = await healthOf(runtime, mirror, false);
      const retained = health.slot?.retainedBytes;
      const lag = health.slot?.lagBytes;
      if (retained === undefined || lag === undefined) continue;
      if (pastLagLimit({ retainedBytes: retained, lagBytes: lag }, mirror.maxLagBytes)) {
        const reason = `its replication slot held ${formatBytes(retained)} of the source's WAL, more than its limit of ${formatBytes(mirror.maxLagBytes)}: dropped so the source's disk does not fill`;
        await takeDown(runtime, mirror);
        await runtime.mirrors.setState(mirror.environment, 'dropped', reason, SYSTEM_ACTOR);
        log(`mirror of ${mirror.environment}: ${reason}; dataalm env mirror resync ${mirror.environment} seeds it again`);
      } else if (retained > mirror.maxLagBytes / 2) {
        if (mirror.warnedAt === null) log(`mirror of ${mirror.environment}: ${formatBytes(retained)} behind, more than half its limit of ${formatBytes(mirror.maxLagBytes)}; past the limit it is dropped`);
        await runtime.mirrors.setWarned(mirror.environment, true);
      } else if (mirror.warnedAt !== null) {
        await runtime.mirrors.setWarned(mirror.environment, false);
      }
    } catch (error) {
      log(`mirror of ${mirror.environment}: could not be checked: ${redactSecrets((error as Error).message)}`);
    }
  }
}

/**
 * An operation has ended: a subscription it left paused (it died while cloning the mirror)
 * is resumed now, not at the next refresh or mirror check. A failure is only reported: the
 * next refresh and the service's mirror check resume it then.
 */
export async function releaseMirrorPause(runtime: Runtime, environment: string, operation: number): Promise<void> {
  const mirror = await runtime.mirrors.find(environment);
  if (mirror?.pausedBy === operation) await settlePause(runtime, mirror, operation);
}

/**
 * A subscription paused by a refresh that is no longer running (it crashed), or by `self`
 * (the same refresh, starting its copy again), is resumed.
 */
async function settlePause(runtime: Runtime, mirror: MirrorRecord, self?: number): Promise<MirrorRecord> {
  if (mirror.pausedBy === null || mirror.state !== 'streaming') return mirror;
  if (mirror.pausedBy === SPARE_BUILD) return settleSparePause(runtime, mirror);
  const active = await runtime.operations.activeOn(mirror.environment);
  if (mirror.pausedBy !== self && active?.id === mirror.pausedBy) return mirror;
  return resumePaused(runtime, mirror);
}

/** The mirror's subscription resumed and no longer recorded as paused by anyone. */
export async function resumePaused(runtime: Runtime, mirror: MirrorRecord): Promise<MirrorRecord> {
  const urls = await mirrorConnections(runtime, mirror.source, mirror.environment);
  await resumeSubscription(withDatabase(urls.targetUrl, mirror.database), mirror.subscription);
  await runtime.mirrors.setPausedBy(mirror.environment, null);
  return { ...mirror, pausedBy: null };
}

async function takeDown(runtime: Runtime, mirror: MirrorRecord): Promise<Removed> {
  try {
    const urls = await mirrorConnections(runtime, mirror.source, mirror.environment);
    await takeDownSpare(urls.sourceUrl, urls.targetUrl, mirror);
    return await teardownMirror(urls.sourceUrl, urls.targetUrl, namesOf(mirror));
  } catch (error) {
    const message = redactSecrets((error as Error).message);
    await runtime.mirrors.setState(mirror.environment, 'failed', `could not be taken down: ${message}`);
    throw new DataalmError('OPERATION_FAILED', `the mirror of ${mirror.environment} could not be taken down: ${message}`, {
      remedy: `make the source (${mirror.source}) and the target's server reachable, then run dataalm env mirror disable ${mirror.environment} again; until then, replication slot ${mirror.slot} on the source keeps its WAL`,
    });
  }
}

/**
 * The mirror's health on both sides. `fingerprint`: also the source's schema digest (a pass
 * over its catalog): for a status and a preview; the lag watch needs none, and a refresh's
 * clone checks it inside its own snapshot.
 */
async function healthOf(runtime: Runtime, mirror: MirrorRecord, fingerprint: boolean): Promise<MirrorHealth> {
  const urls = await mirrorConnections(runtime, mirror.source, mirror.environment);
  const health = await readMirrorHealth(urls.sourceUrl, urls.targetUrl, namesOf(mirror), { fingerprint });
  return { ...health, errors: health.errors.map((e) => redactSecrets(e)) };
}

interface Judgement {
  readonly health: MirrorStatus['health'];
  readonly usable: boolean;
  readonly reason: string | null;
  readonly warning: string | null;
}

/** What the record and the servers say, as one word and, when it cannot be used, why. */
function judge(mirror: MirrorRecord, health: MirrorHealth | undefined, profile: string): Judgement {
  const no = (word: Judgement['health'], reason: string): Judgement => ({ health: word, usable: false, reason, warning: null });
  if (mirror.state === 'seeding') return no('seeding', 'the mirror is still being seeded');
  if (mirror.state === 'failed') return no('failed', `the mirror failed: ${mirror.lastError ?? 'no reason recorded'}; resync it`);
  if (mirror.state === 'dropped') return no('dropped', `the mirror was dropped: ${mirror.lastError ?? 'no reason recorded'}; resync it`);
  if (!health) return no('broken', 'the mirror could not be read');
  if (health.slot === undefined || health.subscription === undefined) return no('unreachable', health.errors.join('; '));
  if (!health.slot.exists) return no('broken', `replication slot ${mirror.slot} is gone from the source: resync the mirror`);
  if (!health.slot.sameDatabase) {
    return no('broken', `the source's database was replaced since the mirror was seeded (refreshed or restored: replication slot ${mirror.slot} follows the old one): resync the mirror`);
  }
  if (health.slot.walStatus === 'lost') return no('broken', "the source removed WAL the mirror still needed (wal_status lost): resync the mirror");
  if (!health.subscription.exists) return no('broken', `the mirror's subscription is gone: resync the mirror`);
  if (!health.subscription.enabled && mirror.pausedBy === null) {
    return no('broken', "replication stopped on an error (the target's server log says which): resync the mirror");
  }
  if (health.schemaFingerprint !== undefined && mirror.schemaFingerprint !== null && health.schemaFingerprint !== mirror.schemaFingerprint) {
    return no('schema-changed', "the source's schema changed since the mirror was seeded (DDL is not replicated): resync the mirror");
  }
  if (profile !== mirror.profileFingerprint) return no('profile-changed', "the target's profile changed since the mirror was seeded: resync the mirror");
  if (health.slot.lagBytes > mirror.maxLagBytes) {
    return no('lagging', `the mirror is ${formatBytes(health.slot.lagBytes)} behind, past its limit of ${formatBytes(mirror.maxLagBytes)}`);
  }
  // Paused while its spare is made (seconds): a refresh waits for it (mirror-spare.ts).
  if (mirror.pausedBy !== null && mirror.pausedBy !== SPARE_BUILD) {
    return { health: 'paused', usable: false, reason: `a refresh (operation ${mirror.pausedBy}) is cloning the mirror`, warning: null };
  }
  if (health.slot.retainedBytes > mirror.maxLagBytes / 2) {
    return {
      health: 'lagging',
      usable: true,
      reason: null,
      warning: `the source keeps ${formatBytes(health.slot.retainedBytes)} of WAL for the mirror, more than half its limit of ${formatBytes(mirror.maxLagBytes)}: if the mirror does not catch up, it is dropped`,
    };
  }
  return { health: 'healthy', usable: true, reason: null, warning: null };
}

function view(mirror: MirrorRecord, health: MirrorHealth | undefined, judged: Judgement, spare: MirrorStatus['spare']): MirrorStatus {
  return {
    environment: mirror.environment,
    source: mirror.source,
    state: mirror.state,
    health: judged.health,
    usable: judged.usable,
    reason: judged.reason,
    warning: judged.warning,
    database: mirror.database,
    publication: mirror.publication,
    slot: mirror.slot,
    lagBytes: health?.slot?.lagBytes ?? null,
    retainedBytes: health?.slot?.retainedBytes ?? null,
    maxLagBytes: mirror.maxLagBytes,
    seededAt: mirror.seededAt,
    tables: mirror.tables,
    spare,
    lastError: mirror.lastError,
    createdBy: mirror.createdBy,
    updatedAt: mirror.updatedAt,
  };
}

