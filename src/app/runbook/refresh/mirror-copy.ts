import type { MirrorRecord } from '../../../domain/mirror.js';
import { formatBytes } from '../../../domain/mirror.js';
import type { Profile } from '../../../domain/profile/profile-schema.js';
import { withDatabase } from '../../../adapters/postgres/connection-url.js';
import type { CopyEvent } from '../../../engine/copy-events.js';
import { type CloneResult, cloneMirror } from '../../../engine/mirror/clone-mirror.js';
import { fault } from '../../faults.js';
import { mirrorConnections, mirrorForRefresh, namesOf } from '../../mirror-service.js';
import { claimMirrorPause, takeReadySpare } from '../../mirror-spare.js';
import type { RunContext } from '../run-context.js';

import { MirrorUnusable } from '../../../engine/mirror/clone-mirror.js';

export { MirrorUnusable };

/**
 * How this refresh copies the application database: from the target's mirror when it has a
 * usable one of this source, else by copy. A mirror that cannot be used is said in the log.
 */
export async function chooseMirror(ctx: RunContext): Promise<MirrorRecord | undefined> {
  const choice = await mirrorForRefresh(ctx.runtime, ctx.target, ctx.operation.source ?? '', ctx.id, false);
  if (choice.usable) {
    await ctx.log('prepare', 'info', `copying from ${ctx.target.name}'s mirror of ${choice.mirror.source} (${choice.lagBytes === null ? 'lag unknown' : `${formatBytes(choice.lagBytes)} behind`})`);
    return choice.mirror;
  }
  if (choice.reason !== null) await ctx.log('prepare', 'warning', `the mirror is not used: ${choice.reason}; the database is copied instead`);
  return undefined;
}

export interface MirrorCopyOptions {
  readonly profile: Profile;
  readonly maskKey: string;
  readonly jobs: number;
  readonly verify: 'counts' | 'checksums';
  readonly databaseProperties: 'caller' | 'source';
  readonly staging: string;
  readonly signal: AbortSignal;
  readonly onEvent: (event: CopyEvent) => void;
  readonly inspectKept: NonNullable<Parameters<typeof cloneMirror>[0]['inspectKept']>;
}

/** The application database from the mirror: clone, what is not replicated copied, kept data applied (engine/mirror/clone-mirror.ts). */
export async function copyFromMirror(ctx: RunContext, mirror: MirrorRecord, options: MirrorCopyOptions): Promise<CloneResult> {
  const urls = await mirrorConnections(ctx.runtime, mirror.source, mirror.environment);
  // With checksums, the clone is compared row by row with the paused mirror: a copy of it.
  const spare = options.verify === 'checksums' ? { names: undefined, reason: null } : await takeReadySpare(ctx.runtime, mirror, ctx.id);
  if (spare.names) await ctx.log('prepare', 'info', `taking the mirror's spare ${spare.names.database}: it becomes the new database by a rename, nothing is copied`);
  else if (spare.reason !== null) await ctx.log('prepare', 'warning', `the mirror's spare is not used: ${spare.reason}; the mirror is copied instead (a new spare is made)`);
  const result = await cloneMirror({
    sourceUrl: urls.sourceUrl,
    targetUrl: urls.targetUrl,
    stagingUrl: withDatabase(urls.targetUrl, options.staging),
    mirror: { names: namesOf(mirror), tables: mirror.tables, schemaFingerprint: mirror.schemaFingerprint },
    spare: spare.names,
    profile: options.profile,
    maskKey: options.maskKey,
    jobs: options.jobs,
    verify: options.verify,
    databaseProperties: options.databaseProperties,
    owner: urls.targetUser,
    catchUpMs: ctx.runtime.config.mirrorCatchUpSeconds * 1000,
    signal: options.signal,
    onEvent: options.onEvent,
    onPaused: async (paused) => {
      if (!paused) return ctx.runtime.mirrors.setPausedBy(mirror.environment, null);
      // Nothing is made yet: a mirror held by the making of its spare for too long is not used.
      if (!(await claimMirrorPause(ctx.runtime, mirror.environment, ctx.id))) throw new MirrorUnusable("the mirror stayed paused by the making of its spare");
    },
    inspectKept: options.inspectKept,
    fault: (point) => fault(point),
  });
  await ctx.log(
    'constraints',
    'info',
    `${result.fileCopy === 'spare' ? `took ${mirror.database}'s spare (renamed, nothing copied; kept current by its own subscription; paused` : `cloned ${mirror.database} (files copied${result.fileCopy === 'clone' ? " by the file system's clone call" : ''}; paused`} ${result.lagBytes === 0 ? 'caught up' : `${formatBytes(result.lagBytes)} behind`}; data as of ${result.dataFrom ?? 'an unknown moment: the mirror had not caught up'}); ${result.refreshTimeTables.length} table(s) copied or kept at refresh time${keptWithClone(result)}`,
    { method: 'mirror', lagBytes: result.lagBytes, dataFrom: result.dataFrom, refreshTimeTables: result.refreshTimeTables, keptWithClone: result.keptWithClone, fileCopy: result.fileCopy },
  );
  return result;
}

/** "; kept rows that came with the clone (the target's, unchanged since the seed): public.a (told by row headers)". */
function keptWithClone(result: CloneResult): string {
  if (result.keptWithClone.length === 0) return '';
  const tables = result.keptWithClone.map((k) => `${k.table} (told by ${k.by})`).join(', ');
  return `; kept rows that came with the clone (the target's, unchanged since the mirror was seeded): ${tables}`;
}
