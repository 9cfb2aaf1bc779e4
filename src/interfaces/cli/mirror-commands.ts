import type { Command } from 'commander';
import { DataalmError } from '../../domain/errors/dataalm-error.js';
import { formatBytes, needsSpare, parseByteSize } from '../../domain/mirror.js';
import { spawn } from 'node:child_process';
import { type CopyEvent, disableMirror, mirrorStatus, prepareMirror, prepareResync } from '../../app/mirror-service.js';
import { keepSpare, makeSpare } from '../../app/mirror-spare.js';
import type { Runtime } from '../../app/runtime.js';
import type { MirrorRemoved, MirrorStatus } from '../../contract/index.js';
import { printJson, withBackend } from './command-context.js';
import { localActor } from './local-actor.js';
import { ProgressReporter, showDataProgress } from './progress-reporter.js';
import type { RemoteClient } from './remote-client.js';

interface EnableOptions {
  source: string;
  maxLag?: string;
  spare?: boolean;
  json?: boolean;
}

/** `dataalm env mirror …`: a sandbox's mirror of its source, kept current by logical replication (DESIGN §8). */
export function registerMirrorCommands(env: Command): void {
  const mirror = env
    .command('mirror')
    .description("a sandbox's mirror of its source on the sandbox's server, kept current by logical replication: a refresh clones it in seconds");

  mirror
    .command('enable')
    .description("seed a mirror of SOURCE on TARGET's server (one snapshot, TARGET's profile applied) and keep it current")
    .argument('<target>', 'the sandbox whose refreshes clone the mirror')
    .requiredOption('--source <name>', 'the environment it mirrors (its refreshes come from there)')
    .option('--max-lag <size>', "source WAL the mirror may hold before it is dropped, e.g. 512MiB or 4GiB (default: DATAALM_MIRROR_MAX_LAG, 1GiB)")
    .option(
      '--spare',
      "also keep a spare: a second copy beside the mirror, kept current by its own replication slot; a refresh takes it by a rename, so it costs seconds whatever the size (costs a second database on TARGET's server and a second slot decoding the source's WAL)",
    )
    .option('--json', 'print the mirror status as JSON')
    .action(async (target: string, o: EnableOptions) => {
      const progress = new ProgressReporter({ enabled: !o.json });
      const stop = new AbortController();
      let making = false;
      await withBackend(
        o,
        {
          local: async (runtime) => {
            const maxLagBytes = maxLagOf(o.maxLag);
            const { seed } = await prepareMirror(runtime, target, { source: o.source, maxLagBytes, spare: o.spare === true, signal: stop.signal }, localActor());
            progress.step(`Seeding the mirror of ${o.source} for ${target}…`);
            await seed((event) => show(progress, event)).finally(() => progress.finish());
            making = o.spare === true;
            if (o.spare) await spareNow(runtime, target, progress);
            print(await mirrorStatus(runtime, target), o.json);
          },
          remote: async (client) => {
            const maxLagBytes = maxLagOf(o.maxLag);
            await client.call('POST /api/environments/:name/mirror', { params: { name: target }, body: { source: o.source, ...(maxLagBytes ? { maxLagBytes } : {}), ...(o.spare ? { spare: true } : {}) } });
            print(await untilSeeded(client, target, progress), o.json);
          },
        },
        {
          onSignal: (signal) => {
            if (making) return finishSpareFirst(signal, stop.signal.aborted ? false : (stop.abort(), true));
            if (stop.signal.aborted) return false;
            process.stderr.write(`\ndataalm: ${signal} received, stopping the seed and removing what it made\n`);
            stop.abort();
            return true;
          },
        },
      );
    });

  mirror
    .command('status')
    .description('how the mirror is doing: its lag, whether the next refresh can use it and why not, its tables')
    .argument('<target>', 'the sandbox')
    .option('--json', 'print the mirror status as JSON')
    .action(async (target: string, o: { json?: boolean }) =>
      withBackend(o, {
        local: async (runtime) => print(await mirrorStatus(runtime, target), o.json),
        remote: async (client) => print(await client.call('GET /api/environments/:name/mirror', { params: { name: target } }), o.json),
      }),
    );

  mirror
    .command('resync')
    .description('take the mirror down and seed it again from a new snapshot (after DDL on the source, a profile change, or a failure)')
    .argument('<target>', 'the sandbox')
    .option('--json', 'print the mirror status as JSON')
    .action(async (target: string, o: { json?: boolean }) => {
      const progress = new ProgressReporter({ enabled: !o.json });
      await withBackend(o, {
        local: async (runtime) => {
          progress.step(`Seeding the mirror of ${target} again…`);
          const { seed } = await prepareResync(runtime, target, localActor());
          await seed((event) => show(progress, event)).finally(() => progress.finish());
          print(await mirrorStatus(runtime, target), o.json);
        },
        remote: async (client) => {
          await client.call('POST /api/environments/:name/mirror/resync', { params: { name: target } });
          print(await untilSeeded(client, target, progress), o.json);
        },
      });
    });

  mirror
    .command('spare')
    .description("keep a spare beside the mirror and make it now (a file copy of the mirror, then its own replication slot): refreshes take it by a rename; with --off, keep none")
    .argument('<target>', 'the sandbox')
    .option('--off', 'keep no spare: the one there is is taken down, its slot on the source dropped')
    .option('--json', 'print the mirror status as JSON')
    .action(async (target: string, o: { off?: boolean; json?: boolean }) => {
      const progress = new ProgressReporter({ enabled: !o.json });
      let signaled = false;
      let making = false;
      await withBackend(o, {
        local: async (runtime) => {
          making = true;
          await keepSpare(runtime, target, !o.off, localActor());
          if (!o.off) await spareNow(runtime, target, progress);
          print(await mirrorStatus(runtime, target), o.json);
        },
        remote: async (client) => {
          let status = await client.call('POST /api/environments/:name/mirror/spare', { params: { name: target }, body: { keep: !o.off } });
          if (!o.off) {
            progress.step(`Making the spare of ${target}'s mirror on the server…`);
            const deadline = Date.now() + SPARE_WAIT_MS;
            while ((status.spare?.state === 'missing' || status.spare?.state === 'building') && Date.now() < deadline) {
              await new Promise((resolve) => setTimeout(resolve, 1000));
              status = await client.call('GET /api/environments/:name/mirror', { params: { name: target } });
            }
            progress.finish();
          }
          print(status, o.json);
        },
      }, { onSignal: (signal) => making && finishSpareFirst(signal, signaled ? false : (signaled = true)) });
    });

  mirror
    .command('disable')
    .description('remove the mirror: its subscription and database, and on the source its replication slot and publication')
    .argument('<target>', 'the sandbox')
    .option('--json', 'print what was removed as JSON')
    .action(async (target: string, o: { json?: boolean }) =>
      withBackend(o, {
        local: async (runtime) => printRemoved(await disableMirror(runtime, target, localActor()), o.json),
        remote: async (client) => printRemoved(await client.call('DELETE /api/environments/:name/mirror', { params: { name: target } }), o.json),
      }),
    );
}

/**
 * Ctrl-C while a spare is made here: the making (a file copy of a paused mirror, seconds)
 * finishes first, so the mirror is not left paused; a second one stops at once (the mirror
 * is then resumed by the next refresh or mirror check, after SPARE_STALE_SECONDS).
 */
function finishSpareFirst(signal: NodeJS.Signals, first: boolean): boolean {
  if (!first) return false;
  process.stderr.write(`\ndataalm: ${signal} received; the spare being made finishes first, so its mirror is not left paused (again to stop at once)\n`);
  return true;
}

/** How long `env mirror spare` on a server waits for its worker to make the spare. */
const SPARE_WAIT_MS = 10 * 60_000;

/**
 * Makes the spare here and now (a file copy of the mirror), or waits while another process
 * makes it; a failure is recorded on the mirror and shown by its status.
 */
async function spareNow(runtime: Runtime, target: string, progress: ProgressReporter): Promise<void> {
  progress.step(`Making the spare of ${target}'s mirror…`);
  try {
    await makeSpare(runtime, target, (line) => process.stderr.write(`dataalm: ${line}\n`), true);
    const deadline = Date.now() + SPARE_WAIT_MS;
    while ((await runtime.mirrors.find(target))?.spare?.state === 'building' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 500));
  } finally {
    progress.finish();
  }
}

/**
 * After a refresh run by this command took the spare: the next one is made by a process of
 * its own, so the command returns now (a running service's worker may take the job first;
 * only one makes it).
 */
export async function spareInBackground(runtime: Runtime, target: string): Promise<void> {
  const mirror = await runtime.mirrors.find(target);
  if (!mirror || !needsSpare(mirror)) return;
  const child = spawn(process.execPath, [process.argv[1]!, 'env', 'mirror', 'spare', target, '--json'], { detached: true, stdio: 'ignore', env: process.env });
  child.on('error', () => {});
  child.unref();
}

function maxLagOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const bytes = parseByteSize(text);
  if (bytes === undefined) throw new DataalmError('INVALID_INPUT', `max-lag (--max-lag): "${text}" is no size; give one such as 512MiB or 4GiB`, { field: 'maxLag' });
  // The slot keeps WAL back to its last restart point, often tens of MiB on an idle source.
  if (bytes < 64 * 1024 ** 2) process.stderr.write(`dataalm: warning: a lag limit of ${formatBytes(bytes)} is small: the source keeps some WAL for any slot, so the mirror may be dropped soon\n`);
  return bytes;
}

function show(progress: ProgressReporter, event: CopyEvent): void {
  if (event.type === 'warning') process.stderr.write(`dataalm: warning: ${event.message}\n`);
  if (event.type === 'phase' && event.status === 'started' && event.phase !== 'data') progress.step(`  ${event.phase}…`);
  if (event.type === 'progress') showDataProgress(progress, event);
}

/** A remote seed runs in the service: its status is read until it is no longer seeding. */
async function untilSeeded(client: RemoteClient, target: string, progress: ProgressReporter): Promise<MirrorStatus> {
  progress.step(`Seeding the mirror of ${target} on the server…`);
  for (;;) {
    const status = await client.call('GET /api/environments/:name/mirror', { params: { name: target } }).catch((error: DataalmError) => {
      // A seed that failed and left nothing behind is forgotten: its error is in the audit log.
      if (error.code === 'NOT_FOUND') throw new DataalmError('COPY_FAILED', `the mirror of ${target} could not be set up (the audit log says why)`);
      throw error;
    });
    if (status.state !== 'seeding') return status;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

function print(status: MirrorStatus, json: boolean | undefined): void {
  if (json) return printJson(status);
  process.stdout.write(statusText(status));
}

export function statusText(s: MirrorStatus): string {
  const lines = [`Mirror of ${s.source} for ${s.environment}: ${s.health}${s.usable ? ' — the next refresh from ' + s.source + ' clones it' : ''}`];
  if (s.reason) lines.push(`  not used: ${s.reason}`);
  if (s.warning) lines.push(`  warning: ${s.warning}`);
  if (s.lagBytes !== null) lines.push(`  lag: ${formatBytes(s.lagBytes)} of source WAL not yet applied; ${formatBytes(s.retainedBytes ?? 0)} kept on the source (limit ${formatBytes(s.maxLagBytes)})`);
  lines.push(`  database ${s.database} on the target's server; publication and replication slot ${s.slot} on the source`);
  if (s.seededAt) lines.push(`  seeded at ${s.seededAt}`);
  if (s.spare) lines.push(`  ${spareText(s.spare)}`);
  const t = s.tables;
  lines.push(`  ${t.published.length} table(s) replicated, ${t.refreshTime.length} copied at refresh time, ${t.notMirrored.length} not mirrored`);
  for (const r of t.refreshTime) lines.push(`    copied at refresh time: ${r.table} (${r.reason})`);
  for (const r of t.notMirrored) lines.push(`    not mirrored: ${r.table} (${r.reason})`);
  if (t.largeObjects > 0) lines.push(`    ${t.largeObjects} large object(s): not replicated, copied at refresh time`);
  if (s.lastError && !s.reason) lines.push(`  last error: ${s.lastError}`);
  return `${lines.join('\n')}\n`;
}

function spareText(spare: NonNullable<MirrorStatus['spare']>): string {
  const where = `spare ${spare.database}`;
  if (spare.state === 'ready') return `${where}: ready, the next refresh takes it by a rename${spare.lagBytes === null ? '' : ` (${formatBytes(spare.lagBytes)} behind)`}`;
  if (spare.state === 'building') return `${where}: being made from the mirror (since ${spare.since}); until then a refresh copies the mirror`;
  if (spare.state === 'taken') return `${where}: taken by a refresh; a new one is made when it has ended`;
  if (spare.state === 'failed') return `${where}: could not be made (${spare.error ?? 'no reason recorded'}); made again later; until then a refresh copies the mirror`;
  return `${where}: none yet (a worker makes it); until then a refresh copies the mirror`;
}

function printRemoved(removed: MirrorRemoved, json: boolean | undefined): void {
  if (json) return printJson(removed);
  const r = removed.removed;
  const what = [r.subscription && 'subscription', r.slot && 'replication slot', r.publication && 'publication', r.database && 'mirror database'].filter(Boolean);
  process.stdout.write(`Mirror of ${removed.environment} disabled; removed: ${what.length > 0 ? what.join(', ') : 'nothing was left'}. No replication slot is kept on the source.\n`);
}
