/**
 * The whole refresh runbook through the CLI, by copy and from a mirror, interleaved round by
 * round, while a writer keeps changing the source (part of `npm run bench`, see bench.ts).
 *
 * bench-prod (the benchmark's source database) is refreshed into two sandboxes of the same
 * size (file copies of it), both with the finance-operations profile and in one control
 * database on the same server: bench-uat has no mirror, so its refreshes copy; bench-uat-mirror
 * has a mirror of bench-prod, seeded before the rounds, so its refreshes clone it. Each
 * refresh's data step must say which method it used: the benchmark fails otherwise.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

/** copy: no mirror; mirror: a mirror whose files a refresh copies; spare: a mirror with a spare, which a refresh takes by a rename. */
export type RefreshKind = 'copy' | 'mirror' | 'spare';

/** The mirror's lag limit here (see benchRefreshes). */
const MAX_LAG = '16GiB';

interface MirrorStatus {
  readonly spare: { state: string; error: string | null } | null;
  readonly usable: boolean;
  readonly reason: string | null;
  readonly lagBytes: number | null;
  readonly tables: { published: string[]; refreshTime: { table: string; reason: string }[]; notMirrored: { table: string; reason: string }[] };
}

export interface RefreshBenchOptions {
  readonly kinds: readonly RefreshKind[];
  readonly rounds: number;
  readonly jobs: number;
  readonly root: string;
  readonly url: (db: string) => string;
  readonly sql: (text: string) => Promise<pg.QueryResult>;
}

interface Operation {
  readonly id: number;
  readonly offlineMs: number;
  readonly cutoverStartedAt: string;
  readonly cutoverAt: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly steps: readonly { name: string; startedAt: string | null; finishedAt: string | null; counters: Record<string, unknown> }[];
}

/** One refresh as measured. */
export interface RefreshRun {
  readonly kind: RefreshKind;
  readonly round: number;
  readonly operation: number;
  readonly seconds: number;
  readonly offlineMs: number;
  readonly clientGapMs: number;
  readonly usualGapMs: number;
  /** The 1-minute load average as the refresh started and as it ended. */
  readonly loadBefore: number;
  readonly loadAfter: number;
  /** Transactions the writer committed on the source while the refresh ran. */
  readonly writerTransactions: number;
  readonly method: string;
  readonly lagBytes: number | null;
  readonly dataFrom: string | null;
  /** Seconds from the refresh's start to dataFrom (the snapshot's moment, taken in its prepare step). */
  readonly dataFromAfterStartSeconds: number | null;
  /** From the operation's start to its end: the runbook without the CLI's preview and request. */
  readonly runbookSeconds: number;
  /** Each runbook step's duration in seconds, in order. */
  readonly steps: Record<string, number>;
  /** A spare refresh: seconds after it until the next spare was ready (made in the background, not part of the refresh). */
  readonly spareReadySeconds: number | null;
  /** The runbook log at its times from the operation's start (of a copy, only steps and kept tables). */
  readonly notes: readonly string[];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round2 = (x: number) => Math.round(x * 100) / 100;
const TARGETS: Record<RefreshKind, { env: string; db: string }> = {
  copy: { env: 'bench-uat', db: 'bench_uat' },
  mirror: { env: 'bench-uat-mirror', db: 'bench_uat_mirror' },
  spare: { env: 'bench-uat-spare', db: 'bench_uat_spare' },
};
const LABEL: Record<RefreshKind, string> = { copy: 'by copy', mirror: 'from mirror', spare: "from mirror's spare" };

function runCli(root: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'bin', 'dataalm.js'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-4000)));
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`dataalm ${args.slice(0, 3).join(' ')} exited ${code}: ${err}`))));
  });
}

/**
 * Small transactions on the source, one after another, until stopped: an address's e-mail
 * (a masked column) inserted and another changed, a customer transaction inserted (a copy of
 * an existing one), a customer's credit limit changed, and the writer's oldest customer
 * transaction deleted once it has 50. Row picks are pseudo-random over the key ranges.
 */
function startWriter(url: string) {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => {});
  let stop = false;
  let transactions = 0;
  let failure: Error | undefined;
  const done = (async () => {
    await client.connect();
    const range = async (table: string, where = 'true') =>
      (await client.query<{ lo: string; hi: string }>(`SELECT min(recid)::text AS lo, max(recid)::text AS hi FROM ${table} WHERE ${where}`)).rows[0]!;
    const [addresses, trans, customers] = [await range('logisticselectronicaddress', 'type = 2'), await range('custtrans'), await range('custtable')];
    const pick = ({ lo, hi }: { lo: string; hi: string }) => String(BigInt(lo) + BigInt(Math.floor(Math.random() * Number(BigInt(hi) - BigInt(lo) + 1n))));
    const mine: string[] = [];
    while (!stop) {
      await client.query('BEGIN');
      const id = (await client.query<{ id: string }>(`SELECT nextval('recid_seq')::text AS id`)).rows[0]!.id;
      await client.query(
        `INSERT INTO logisticselectronicaddress (recid, type, locator, description, isprimary, location) VALUES ($1::bigint, 2, 'writer.' || $1::text || '@contoso.com', 'benchmark writer', 0, 0)`,
        [id],
      );
      await client.query(
        `UPDATE logisticselectronicaddress SET locator = 'changed.' || recid || '@contoso.com' WHERE recid = (SELECT recid FROM logisticselectronicaddress WHERE type = 2 AND recid >= $1 ORDER BY recid LIMIT 1)`,
        [pick(addresses)],
      );
      const copied = await client.query<{ recid: string }>(
        `INSERT INTO custtrans SELECT (jsonb_populate_record(NULL::custtrans, to_jsonb(t) || jsonb_build_object('recid', $1::bigint))).*
           FROM custtrans t WHERE recid = (SELECT recid FROM custtrans WHERE recid >= $2 ORDER BY recid LIMIT 1) RETURNING recid::text`,
        [id, pick(trans)],
      );
      mine.push(...copied.rows.map((r) => r.recid));
      await client.query('UPDATE custtable SET creditmax = creditmax + 1 WHERE recid = (SELECT recid FROM custtable WHERE recid >= $1 ORDER BY recid LIMIT 1)', [pick(customers)]);
      if (mine.length > 50) await client.query('DELETE FROM custtrans WHERE recid = $1', [mine.shift()]);
      await client.query('COMMIT');
      transactions++;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })().catch((error: Error) => {
    failure = error;
  });
  return {
    count: () => {
      if (failure) throw new Error(`the writer failed: ${failure.message}`);
      return transactions;
    },
    stop: async () => {
      stop = true;
      await done;
      await client.end().catch(() => {});
      if (failure) throw new Error(`the writer failed: ${failure.message}`);
      return transactions;
    },
  };
}

/** A client that reconnects and queries the target every 20 ms; the times it got an answer. */
function startWatcher(url: string) {
  let stop = false;
  const ok: number[] = [];
  const done = (async () => {
    while (!stop) {
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
      client.on('error', () => {});
      try {
        await client.connect();
        await client.query('SELECT count(*) FROM sysemailparameters');
        ok.push(Date.now());
      } catch {
        // refused while the cutover runs
      } finally {
        await client.end().catch(() => {});
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  return {
    stop: async (operation: Operation) => {
      stop = true;
      await done;
      // The longest gap between two answers that overlaps the cutover, and the usual gap.
      const [from, to] = [Date.parse(operation.cutoverStartedAt), Date.parse(operation.cutoverAt)];
      const gaps = ok.slice(1).map((t, i) => [ok[i]!, t] as const);
      const across = gaps.filter(([a, b]) => a <= to && b >= from).map(([a, b]) => b - a);
      return { clientGapMs: Math.round(Math.max(0, ...across)), usualGapMs: Math.round(median(gaps.map(([a, b]) => b - a))) };
    },
  };
}

export async function benchRefreshes(options: RefreshBenchOptions) {
  const { url, sql, rounds, jobs, root } = options;
  await sql('CREATE DATABASE bench_control');
  for (const kind of options.kinds) await sql(`CREATE DATABASE ${TARGETS[kind].db} TEMPLATE bench_src STRATEGY FILE_COPY`);
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'dataalm-bench-home-'));
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, DATAALM_DATABASE_URL: url('bench_control'), DATAALM_SECRET_KEY: 'benchmark-installation-key', DATAALM_HOME: home };
  const cli = (args: string[]) => runCli(root, args, env);
  let writer: ReturnType<typeof startWriter> | undefined;
  try {
    const versions = ['--release', '10.0.38', '--platform-update', '62', '--reporting-version', '10.0.38.3'];
    await cli(['env', 'add', 'bench-prod', '--type', 'production', '--tenant', 'contoso.com', '--admin', 'admin@contoso.com', '--app-db', url('bench_src'), ...versions]);
    for (const kind of options.kinds) {
      const t = TARGETS[kind];
      await cli(['env', 'add', t.env, '--type', 'sandbox', '--tenant', 'contoso.com', '--admin', 'sandbox.admin@contoso.com', '--app-db', url(t.db), ...versions]);
    }
    type Seed = { seconds: number; lagAfterSeed: number | null; catchUpSeconds: number; loadBefore: number; loadAfter: number; published: number; refreshTime: string[]; notMirrored: string[] };
    const seeds: Partial<Record<RefreshKind, Seed>> = {};
    for (const kind of options.kinds.filter((k) => k !== 'copy')) {
      await sql('CHECKPOINT');
      const loadBefore = os.loadavg()[0]!;
      const started = performance.now();
      // One server holds the source and the sandboxes, so the source's WAL also carries the
      // seed's own writes and each copy refresh's (GiBs at scale 3): the mirror reads past them
      // as lag. On separate servers it would not; the limit is raised so as not to drop it.
      const spare = kind === 'spare' ? ['--spare'] : [];
      const enabled = JSON.parse(await cli(['env', 'mirror', 'enable', TARGETS[kind].env, '--source', 'bench-prod', '--max-lag', MAX_LAG, ...spare, '--json'])) as MirrorStatus;
      const seconds = (performance.now() - started) / 1000;
      const lagAfterSeed = enabled.lagBytes;
      // Then until it has read past the seed's WAL: at most 10 minutes.
      const status = await caughtUp(kind, enabled);
      const catchUpSeconds = (performance.now() - started) / 1000 - seconds;
      const seed: Seed = {
        seconds: round2(seconds),
        lagAfterSeed,
        catchUpSeconds: round2(catchUpSeconds),
        loadBefore: round2(loadBefore),
        loadAfter: round2(os.loadavg()[0]!),
        published: status.tables.published.length,
        refreshTime: status.tables.refreshTime.map((t) => `${t.table} (${t.reason})`),
        notMirrored: status.tables.notMirrored.map((t) => `${t.table} (${t.reason})`),
      };
      seeds[kind] = seed;
      process.stderr.write(
        `  ${kind === 'spare' ? 'mirror and its spare' : 'mirror'} seeded in ${seed.seconds} s, ${seed.lagAfterSeed} B behind, caught up ${seed.catchUpSeconds} s later (load ${seed.loadBefore}→${seed.loadAfter}): ${seed.published} tables replicated, ${seed.refreshTime.length} copied at refresh time, ${seed.notMirrored.length} not mirrored\n`,
      );
    }
    writer = startWriter(url('bench_src'));
    const runs: RefreshRun[] = [];
    for (let r = 1; r <= rounds; r++) {
      for (const kind of options.kinds) runs.push(await refreshOnce(kind, r));
    }
    const written = await writer.stop();
    writer = undefined;
    for (const kind of options.kinds.filter((k) => k !== 'copy')) await cli(['env', 'mirror', 'disable', TARGETS[kind].env]);
    return { seeds, writerTransactions: written, runs, summary: summarize(runs) };
  } finally {
    await writer?.stop().catch(() => {});
    fs.rmSync(home, { recursive: true, force: true });
  }

  async function caughtUp(kind: RefreshKind, first: MirrorStatus): Promise<MirrorStatus> {
    const deadline = Date.now() + 600_000;
    for (let status = first; ; status = JSON.parse(await cli(['env', 'mirror', 'status', TARGETS[kind].env, '--json'])) as MirrorStatus) {
      const spareReady = kind !== 'spare' || status.spare?.state === 'ready';
      if (status.spare?.state === 'failed') throw new Error(`the spare could not be made: ${status.spare.error}`);
      if (spareReady && status.usable && status.lagBytes !== null && status.lagBytes < 16 * 2 ** 20) return status;
      if (Date.now() > deadline) throw new Error(`the mirror did not catch up within 10 minutes of its seed: ${status.reason ?? `${status.lagBytes} B behind`}`);
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }

  async function refreshOnce(kind: RefreshKind, round: number): Promise<RefreshRun> {
    const target = TARGETS[kind];
    // The sandbox is a copy of production: stop its recurring jobs (preflight rule 7).
    const uat = new pg.Client({ connectionString: url(target.db) });
    await uat.connect();
    await uat.query('UPDATE dmfrecurringjob SET enabled = 0');
    await uat.end();
    await sql('CHECKPOINT');
    const watcher = startWatcher(url(target.db));
    const writesBefore = writer!.count();
    const loadBefore = os.loadavg()[0]!;
    const startedAt = Date.now();
    const started = performance.now();
    const operation = JSON.parse(await cli(['refresh', '--source', 'bench-prod', '--target', target.env, '--yes', '--json', '--jobs', String(jobs)])) as Operation;
    const seconds = (performance.now() - started) / 1000;
    const loadAfter = os.loadavg()[0]!;
    const writerTransactions = writer!.count() - writesBefore;
    const { clientGapMs, usualGapMs } = await watcher.stop(operation);
    const data = operation.steps.find((s) => s.name === 'data')?.counters ?? {};
    const method = data.method === 'mirror' && data.fileCopy === 'spare' ? 'spare' : data.method;
    if (method !== kind) {
      throw new Error(`refresh ${operation.id} of ${target.env} was to use method '${kind}' but its data step says ${JSON.stringify(method)}: the benchmark would measure the wrong thing`);
    }
    // The next spare is made in the background after the refresh: awaited, not timed as part of it.
    const spareReadySeconds = kind === 'spare' ? await nextSpare(target.env) : null;
    const steps = Object.fromEntries(
      operation.steps.filter((s) => s.startedAt && s.finishedAt).map((s) => [s.name, round2((Date.parse(s.finishedAt!) - Date.parse(s.startedAt!)) / 1000)]),
    );
    // The runbook log, each line at its time from the operation's start: where the time goes.
    const logs = (await cli(['op', 'logs', String(operation.id), '--json'])).trim().split('\n').map((l) => JSON.parse(l) as { at: string; step: string | null; message: string });
    const notes = logs
      .filter((l) => kind !== 'copy' || /keep-rows|keep-columns|step \w+ (started|succeeded)/.test(l.message))
      .map((l) => `+${((Date.parse(l.at) - Date.parse(operation.startedAt)) / 1000).toFixed(2)} s ${l.step}: ${l.message}`);
    const dataFrom = (data.dataFrom as string | null | undefined) ?? null;
    const run: RefreshRun = {
      kind,
      round,
      operation: operation.id,
      seconds: round2(seconds),
      offlineMs: operation.offlineMs,
      clientGapMs,
      usualGapMs,
      loadBefore: round2(loadBefore),
      loadAfter: round2(loadAfter),
      writerTransactions,
      method: String(data.method),
      lagBytes: (data.lagBytes as number | undefined) ?? null,
      dataFrom,
      dataFromAfterStartSeconds: dataFrom ? round2((Date.parse(dataFrom) - startedAt) / 1000) : null,
      runbookSeconds: round2((Date.parse(operation.finishedAt) - Date.parse(operation.startedAt)) / 1000),
      steps,
      notes,
      spareReadySeconds,
    };
    process.stderr.write(
      `  round ${round}: refresh ${LABEL[kind]}: ${run.seconds.toFixed(2)} s (load ${run.loadBefore}→${run.loadAfter}), offline ${run.offlineMs} ms, ` +
        `client gap ${clientGapMs} ms (usually ${usualGapMs}), ${writerTransactions} writer transactions` +
        (kind !== 'copy' ? `, lag ${run.lagBytes} B, data from ${dataFrom}` : '') +
        (spareReadySeconds !== null ? `, next spare ready ${spareReadySeconds} s after` : '') +
        `\n    steps: ${Object.entries(steps).map(([k, v]) => `${k} ${v}`).join(', ')}\n`,
    );
    const crumbs = await sql(`SELECT datname FROM pg_database WHERE datname LIKE '${target.db}\\_\\_pre\\_%'`);
    for (const { datname } of crumbs.rows as { datname: string }[]) await sql(`DROP DATABASE ${pg.escapeIdentifier(datname)}`);
    return run;
  }

  async function nextSpare(env: string): Promise<number> {
    const started = performance.now();
    const deadline = Date.now() + 600_000;
    for (;;) {
      const status = JSON.parse(await cli(['env', 'mirror', 'status', env, '--json'])) as MirrorStatus;
      if (status.spare?.state === 'ready') return round2((performance.now() - started) / 1000);
      if (status.spare?.state === 'failed') throw new Error(`the next spare could not be made: ${status.spare.error}`);
      if (Date.now() > deadline) throw new Error(`the next spare was not ready within 10 minutes: ${JSON.stringify(status.spare)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}

function summarize(runs: readonly RefreshRun[]) {
  const of = (kind: RefreshKind) => runs.filter((r) => r.kind === kind);
  const stats = (kind: RefreshKind) => {
    const rs = of(kind);
    return rs.length === 0 ? undefined : { medianSeconds: round2(median(rs.map((r) => r.seconds))), runs: rs.map((r) => r.seconds), offlineMs: rs.map((r) => r.offlineMs) };
  };
  const copy = of('copy');
  const overCopy = (kind: RefreshKind) => {
    const perRound = copy.length > 0 ? of(kind).map((m, i) => round2(m.seconds / copy[i]!.seconds)) : [];
    return perRound.length > 0 ? { perRound, medianOfRounds: median(perRound) } : undefined;
  };
  return { copy: stats('copy'), mirror: stats('mirror'), spare: stats('spare'), mirrorOverCopy: overCopy('mirror'), spareOverCopy: overCopy('spare') };
}

/** The refreshes as lines and a table per round (Markdown), after the copy methods' table. */
export function printRefreshes(result: Awaited<ReturnType<typeof benchRefreshes>>, plainSeconds: number | undefined): void {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  for (const [kind, seed] of Object.entries(result.seeds)) {
    console.log(
      `\n${kind === 'spare' ? 'mirror and its spare' : 'mirror'} seeded in ${seed.seconds} s, ${seed.lagAfterSeed} B behind then, caught up ${seed.catchUpSeconds} s later (load ${seed.loadBefore}→${seed.loadAfter}; not part of a refresh): ${seed.published} tables replicated; ` +
        `copied or kept at refresh time: ${seed.refreshTime.join(', ') || 'none'}; not mirrored: ${seed.notMirrored.join(', ') || 'none'}`,
    );
  }
  console.log(`\nrefreshes (finance-operations, whole runbook) while a writer changed the source (${result.writerTransactions} transactions in all):\n`);
  console.log(line(['round', 'refresh', 's', 'load 1 min (start→end)', 'offline ms', 'client gap ms (usual)', 'writer tx', 'method', 'lag B', 'data from (s after start)', 'runbook s', 'next spare ready (s after)']));
  console.log(line(['---:', '---', '---:', '---', '---:', '---', '---:', '---', '---:', '---', '---:', '---:']));
  for (const r of result.runs) {
    console.log(
      line([
        r.round,
        LABEL[r.kind],
        r.seconds.toFixed(2),
        `${r.loadBefore}→${r.loadAfter}`,
        r.offlineMs,
        `${r.clientGapMs} (${r.usualGapMs})`,
        r.writerTransactions,
        r.method,
        r.lagBytes ?? '',
        r.dataFrom ? `${r.dataFrom} (${r.dataFromAfterStartSeconds})` : '',
        r.runbookSeconds.toFixed(2),
        r.spareReadySeconds ?? '',
      ]),
    );
  }
  const { copy, mirror, spare, mirrorOverCopy, spareOverCopy } = result.summary;
  for (const [label, ratio] of [['from mirror', mirrorOverCopy], ["from mirror's spare", spareOverCopy]] as const) {
    if (ratio) console.log(`\n${label} ÷ by copy, round by round: ${ratio.perRound.map((x) => x.toFixed(2)).join(' / ')} (median ${ratio.medianOfRounds.toFixed(2)})`);
  }
  for (const [label, s] of [['by copy', copy], ['from mirror', mirror], ["from mirror's spare", spare]] as const) {
    if (s) console.log(`refresh ${label}: median ${s.medianSeconds} s${plainSeconds ? ` = ${round2(s.medianSeconds / plainSeconds)} × dataalm copy plain` : ''}; offline ${s.offlineMs.join(' / ')} ms`);
  }
  console.log('\nstep seconds per refresh:');
  for (const r of result.runs) console.log(`  round ${r.round} ${r.kind}: ${Object.entries(r.steps).map(([k, v]) => `${k} ${v}`).join(', ')}`);
}
