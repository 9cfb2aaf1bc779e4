/**
 * npm run bench:catalog -- [--tables N] [--partitions P] [--jobs J] [--rounds R]
 *                          [--single-transaction] [--out FILE]
 *
 * A huge catalog, copied at PostgreSQL's default lock settings. On a private local server
 * with max_locks_per_transaction 64 and max_connections 100 (initdb's defaults, set
 * explicitly in case initdb chose fewer connections), it builds two source databases: N
 * small tables (default 5,000; see bench/huge-catalog-source.ts) and one table with P
 * partitions (default 2,000; 0 leaves this case out). Then, interleaved round by round:
 * `dataalm copy --profile plain --jobs J` (the built CLI), `pg_dump -Fd -j J -Z0` +
 * `pg_restore -j J` (the main benchmark's anchor) and `pg_dump -Fc -Z0` + `pg_restore -j J`
 * (one dumping session: a parallel dump's workers need locks beside the leader's), each into
 * a fresh database; with --single-transaction also `pg_dump -Fc | pg_restore
 * --single-transaction`, which shows what one transaction holding every lock does on such a
 * server. Each run's wall time, whether it succeeded (else the error's last line)
 * and the load average beside it are recorded. Prints markdown tables to paste into
 * docs/benchmarks.md, and writes the same as JSON.
 *
 * Everything it makes (the server, its databases, dump folders) lives in one temporary
 * folder, removed at the end, after a failure and on Ctrl-C.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { type EmbeddedServer, openEmbeddedServer } from '../src/adapters/embedded/embedded-server.ts';
import { findPgTools, libpqEnv } from '../src/adapters/postgres/pg-tools.ts';
import { createManyPartitions, createManyTables } from './huge-catalog-source.ts';

const { values } = parseArgs({
  options: {
    tables: { type: 'string', default: '5000' },
    partitions: { type: 'string', default: '2000' },
    jobs: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
    'single-transaction': { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench-catalog-results.json' },
  },
});
const tables = Number(values.tables);
const partitions = Number(values.partitions);
const jobs = Number(values.jobs);
const rounds = Number(values.rounds);
for (const [name, value, min] of [['tables', tables, 0], ['partitions', partitions, 0], ['jobs', jobs, 1], ['rounds', rounds, 1]] as const) {
  if (!Number.isInteger(value) || value < min) throw new Error(`--${name} must be a whole number, at least ${min}`);
}
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

/** PostgreSQL's defaults: the lock table holds about 64 × (100 + 0) locks. */
const LOCK_SETTINGS = { max_locks_per_transaction: '64', max_connections: '100' };

interface Case {
  readonly name: string;
  readonly source: string;
}
interface Outcome {
  readonly ok: boolean;
  /** The error's last line when it failed. */
  readonly error?: string;
}
interface Method {
  readonly name: string;
  readonly run: (source: string, target: string) => Promise<Outcome>;
}
interface RoundResult {
  readonly round: number;
  readonly case: string;
  readonly method: string;
  readonly seconds: number;
  readonly ok: boolean;
  readonly error: string | null;
  /** 1-minute load average when the run started and when it ended. */
  readonly loadBefore: number;
  readonly loadAfter: number;
}

// Everything the benchmark makes, so that any way out can remove it.
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'dataalm-bench-catalog-'));
fs.chmodSync(home, 0o755); // the server runs as another user when this runs as root
const children = new Set<ChildProcess>();
let server: EmbeddedServer | undefined;
let stopping = false;

interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program; its exit is the result, never a rejection. Output kept: stdout whole, stderr's end. */
function run(command: string, args: string[], env: NodeJS.ProcessEnv, pipeTo?: { command: string; args: string[] }): Promise<Finished> {
  if (stopping) return new Promise(() => {});
  return new Promise((resolve) => {
    const first = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const last = pipeTo ? spawn(pipeTo.command, pipeTo.args, { env, stdio: ['pipe', 'pipe', 'pipe'] }) : first;
    if (pipeTo) {
      // When the reader fails first (pg_restore --exit-on-error), the writer gets EPIPE: its
      // exit code says so, the stream error is not a crash.
      last.stdin!.on('error', () => {});
      first.stdout.on('error', () => {});
      first.stdout.pipe(last.stdin!);
    }
    let stdout = '';
    let stderr = '';
    const keepErr = (c: Buffer) => (stderr = (stderr + c.toString()).slice(-8000));
    for (const child of new Set([first, last])) {
      children.add(child);
      child.stderr!.on('data', keepErr);
    }
    last.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    const exits = [...new Set([first, last])].map(
      (child) =>
        new Promise<number | null>((done) => {
          child.once('error', (e) => (keepErr(Buffer.from(`${e.message}\n`)), done(-1)));
          child.once('close', (code) => (children.delete(child), done(code)));
        }),
    );
    void Promise.all(exits).then((codes) => resolve({ code: codes.find((c) => c !== 0) ?? 0, stdout, stderr }));
  });
}

/** The line that says what went wrong: the last error line of a tool, or dataalm's JSON error. */
function errorLine(finished: Finished): string {
  const json = finished.stdout.trim().split('\n').at(-1) ?? '';
  try {
    const parsed = JSON.parse(json) as { error?: { code: string; message: string }; refused?: boolean; reasons?: { code: string; message: string }[] };
    if (parsed.error) return `${parsed.error.code}: ${parsed.error.message}`;
    if (parsed.refused) return `refused: ${(parsed.reasons ?? []).map((r) => `${r.code}: ${r.message}`).join('; ')}`;
  } catch {
    // not dataalm's JSON: a tool's stderr
  }
  const lines = finished.stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const last = lines.filter((l) => /ERROR:|error:/.test(l)).at(-1) ?? lines.at(-1) ?? `exit code ${finished.code}`;
  // A parallel pg_dump ends with "a worker process died unexpectedly": the server's error
  // that killed the worker is on an earlier line.
  const server = lines.filter((l) => l.includes('ERROR:')).at(-1);
  const line = server === undefined || last.includes('ERROR:') ? last : `${last} (${server.slice(server.indexOf('ERROR:'))})`;
  return line.length > 300 ? `${line.slice(0, 300)}…` : line;
}

const outcome = (finished: Finished): Outcome => (finished.code === 0 ? { ok: true } : { ok: false, error: errorLine(finished) });

async function cleanUp(): Promise<void> {
  for (const child of children) child.kill('SIGTERM');
  // A dataalm copy that is stopped drops its half-made target first: give it a bounded time.
  const deadline = Date.now() + 30_000;
  while (children.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  for (const child of children) child.kill('SIGKILL');
  const cluster = fs.existsSync(path.join(home, 'pg')) ? fs.realpathSync(path.join(home, 'pg')) : undefined;
  await server?.release().catch((e: unknown) => process.stderr.write(`could not stop the server: ${String(e)}\n`));
  server = undefined;
  // The cluster may live outside the home (see prepareDataDir): removed with it.
  if (cluster !== undefined) fs.rmSync(cluster, { recursive: true, force: true });
  fs.rmSync(home, { recursive: true, force: true });
}

// An unexpected error is reported, then everything is removed as after a signal.
process.on('uncaughtException', (error) => {
  process.stderr.write(`huge-catalog benchmark crashed: ${error.stack ?? error.message}\n`);
  if (stopping) return;
  stopping = true;
  void cleanUp().finally(() => process.exit(1));
});

// `on`, not `once`: a Ctrl-C reaches this process both from the terminal and relayed by npm
// and tsx, and a second signal must not end it before the server is stopped.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\n${signal}: stopping, removing the benchmark's server and files…\n`);
    void cleanUp().finally(() => {
      process.stderr.write('removed\n');
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round2 = (x: number) => Math.round(x * 100) / 100;
const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

async function main(): Promise<void> {
  server = await openEmbeddedServer({ home });
  const urlFor = (db: string) => {
    const u = new URL(server!.adminUrl);
    u.pathname = `/${db}`;
    return u.toString();
  };
  const sqlOn = async (db: string, text: string) => {
    const client = new pg.Client({ connectionString: urlFor(db) });
    client.on('error', () => {});
    await client.connect();
    try {
      return await client.query(text);
    } finally {
      await client.end();
    }
  };
  const sql = (text: string) => sqlOn('postgres', text);
  for (const [key, value] of Object.entries(LOCK_SETTINGS)) await sql(`ALTER SYSTEM SET ${key} = '${value}'`);
  await server.release();
  server = await openEmbeddedServer({ home });
  if (stopping) return;
  const settings = (await sql(
    `SELECT current_setting('server_version') AS version, current_setting('max_locks_per_transaction')::int AS locks,
            current_setting('max_connections')::int AS connections, current_setting('max_prepared_transactions')::int AS prepared`,
  )) as { rows: { version: string; locks: number; connections: number; prepared: number }[] };
  const { version, locks, connections, prepared } = settings.rows[0]!;
  const serverLine = `PostgreSQL ${version}, max_locks_per_transaction ${locks}, max_connections ${connections}, max_prepared_transactions ${prepared}: a lock table for about ${(locks * (connections + prepared)).toLocaleString('en-US')} locks`;
  process.stderr.write(`${serverLine}\n`);

  const cases: Case[] = [];
  const relations = new Map<string, number>();
  const build = async (name: string, source: string, create: (run: (text: string) => Promise<unknown>) => Promise<void>) => {
    const started = performance.now();
    await sql(`CREATE DATABASE ${source}`);
    await create((text) => sqlOn(source, text));
    await sqlOn(source, 'VACUUM ANALYZE');
    const count = (await sqlOn(source, `SELECT count(*)::int AS n FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'`)) as { rows: { n: number }[] };
    relations.set(name, count.rows[0]!.n);
    process.stderr.write(`  ${name}: ${count.rows[0]!.n} relations in public, built in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    cases.push({ name, source });
  };
  const progress = (what: string, total: number) => (done: number) => {
    process.stderr.write(`\r  ${what}: ${done}/${total}${done === total ? '\n' : ''}`);
  };
  if (tables > 0) {
    process.stderr.write(`Building ${tables} tables…\n`);
    await build(`${tables.toLocaleString('en-US')} tables`, 'catalog_tables', (s) => createManyTables(s, tables, progress('tables', tables)));
  }
  if (partitions > 0) {
    process.stderr.write(`Building a table with ${partitions} partitions…\n`);
    await build(`${partitions.toLocaleString('en-US')} partitions`, 'catalog_partitions', (s) => createManyPartitions(s, partitions, progress('partitions', partitions)));
  }
  if (cases.length === 0) throw new Error('nothing to copy: --tables and --partitions are both 0');

  const tools = findPgTools({ source: Number.parseInt(version, 10), target: Number.parseInt(version, 10) }, process.env.DATAALM_PG_BIN);
  // Temporary files of the tools (dataalm's schema archive) stay inside the benchmark's folder.
  const toolEnv = { PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: home };
  const dumpDir = path.join(home, 'dump');
  const methods: Method[] = [
    {
      name: `dataalm copy --profile plain --jobs ${jobs}`,
      run: async (source, target) => {
        const args = [path.join(root, 'bin', 'dataalm.js'), 'copy', '--from', urlFor(source), '--to', urlFor(target), '--profile', 'plain', '--jobs', String(jobs), '--json'];
        return outcome(await run(process.execPath, args, { ...toolEnv, DATAALM_SECRET_KEY: 'benchmark-installation-key' }));
      },
    },
    {
      name: `pg_dump -Fd -j ${jobs} -Z0 + pg_restore -j ${jobs}`,
      run: async (source, target) => {
        fs.rmSync(dumpDir, { recursive: true, force: true });
        try {
          const dumped = await run(tools.pgDump, ['-Fd', `-j${jobs}`, '-Z0', `--file=${dumpDir}`, `--dbname=${source}`], { ...libpqEnv(urlFor(source)), ...toolEnv });
          if (dumped.code !== 0) return outcome(dumped);
          await sql(`CREATE DATABASE ${target}`);
          return outcome(await run(tools.pgRestore, [`-j${jobs}`, `--dbname=${target}`, dumpDir], { ...libpqEnv(urlFor(target)), ...toolEnv }));
        } finally {
          fs.rmSync(dumpDir, { recursive: true, force: true });
        }
      },
    },
    {
      // One session dumps (pg_dump -j's workers each keep a lock on every table they dumped,
      // on top of the leader's lock on every table), the restore is parallel.
      name: `pg_dump -Fc -Z0 + pg_restore -j ${jobs}`,
      run: async (source, target) => {
        const file = path.join(home, 'dump.custom');
        try {
          const dumped = await run(tools.pgDump, ['-Fc', '-Z0', `--file=${file}`, `--dbname=${source}`], { ...libpqEnv(urlFor(source)), ...toolEnv });
          if (dumped.code !== 0) return outcome(dumped);
          await sql(`CREATE DATABASE ${target}`);
          return outcome(await run(tools.pgRestore, [`-j${jobs}`, `--dbname=${target}`, file], { ...libpqEnv(urlFor(target)), ...toolEnv }));
        } finally {
          fs.rmSync(file, { force: true });
        }
      },
    },
    ...(values['single-transaction']
      ? [
          {
            name: 'pg_dump -Fc | pg_restore --single-transaction',
            run: async (source: string, target: string) => {
              await sql(`CREATE DATABASE ${target}`);
              const restore = { command: tools.pgRestore, args: ['--single-transaction', '--exit-on-error', `--dbname=${target}`] };
              // One environment for both: the same server and password, each names its database.
              return outcome(await run(tools.pgDump, ['-Fc', `--dbname=${source}`], { ...libpqEnv(urlFor(source)), ...toolEnv }, restore));
            },
          },
        ]
      : []),
  ];

  const results: RoundResult[] = [];
  const target = 'catalog_copy';
  for (let r = 1; r <= rounds; r++) {
    for (const c of cases) {
      for (const method of methods) {
        await sql(`DROP DATABASE IF EXISTS ${target} WITH (FORCE)`);
        await sql('CHECKPOINT');
        const loadBefore = os.loadavg()[0]!;
        const started = performance.now();
        const result = await method.run(c.source, target);
        const seconds = (performance.now() - started) / 1000;
        if (stopping) return;
        const loadAfter = os.loadavg()[0]!;
        results.push({ round: r, case: c.name, method: method.name, seconds: round2(seconds), ok: result.ok, error: result.error ?? null, loadBefore: round2(loadBefore), loadAfter: round2(loadAfter) });
        process.stderr.write(`  round ${r}: ${c.name}: ${method.name}: ${seconds.toFixed(2)} s, ${result.ok ? 'ok' : `FAILED: ${result.error}`} (load ${loadBefore.toFixed(2)} → ${loadAfter.toFixed(2)})\n`);
        await sql(`DROP DATABASE IF EXISTS ${target} WITH (FORCE)`);
      }
    }
  }

  const summary = cases.flatMap((c) => {
    const of = (m: Method) => results.filter((x) => x.case === c.name && x.method === m.name);
    const okSeconds = (m: Method) => of(m).filter((x) => x.ok).map((x) => x.seconds);
    const dataalm = okSeconds(methods[0]!);
    return methods.map((m) => {
      const ok = okSeconds(m);
      return {
        case: c.name,
        relations: relations.get(c.name)!,
        method: m.name,
        succeeded: ok.length,
        rounds,
        runs: of(m).map((x) => (x.ok ? x.seconds : null)),
        medianSeconds: ok.length > 0 ? round2(median(ok)) : null,
        // dataalm's median over this method's, both over the runs that succeeded.
        dataalmRatio: dataalm.length > 0 && ok.length > 0 ? round2(median(dataalm) / median(ok)) : null,
      };
    });
  });
  const report = { tables, partitions, jobs, rounds, server: serverLine, machine: `${os.cpus().length} CPUs, ${Math.round(os.totalmem() / 2 ** 30)} GiB`, summary, runs: results };
  fs.writeFileSync(values.out!, `${JSON.stringify(report, null, 2)}\n`);
  printMarkdown(serverLine, summary, results);
  process.stderr.write(`(written to ${values.out})\n`);
}

function printMarkdown(serverLine: string, summary: { case: string; relations: number; method: string; succeeded: number; rounds: number; runs: (number | null)[]; medianSeconds: number | null; dataalmRatio: number | null }[], results: RoundResult[]): void {
  const line = (cells: string[]) => `| ${cells.map(cell).join(' | ')} |`;
  const out: string[] = [];
  out.push(`\n${serverLine}. Jobs ${jobs}, ${rounds} rounds, interleaved; medians over the runs that succeeded:\n`);
  out.push(line(['case', 'method', 'succeeded', 'runs (s)', 'median s', 'dataalm ÷ method']));
  out.push(line(['---', '---', '---:', '---:', '---:', '---:']));
  for (const s of summary) {
    out.push(
      line([
        `${s.case} (${s.relations.toLocaleString('en-US')} relations)`,
        s.method,
        `${s.succeeded}/${s.rounds}`,
        s.runs.map((x) => (x === null ? 'failed' : x.toFixed(2))).join(' / '),
        s.medianSeconds === null ? '' : s.medianSeconds.toFixed(2),
        s.dataalmRatio === null ? '' : s.dataalmRatio.toFixed(2),
      ]),
    );
  }
  out.push('\nEach run, with the 1-minute load average when it started and ended:\n');
  out.push(line(['round', 'case', 'method', 's', 'load', 'result']));
  out.push(line(['---:', '---', '---', '---:', '---:', '---']));
  for (const r of results) {
    out.push(line([String(r.round), r.case, r.method, r.seconds.toFixed(2), `${r.loadBefore.toFixed(2)} → ${r.loadAfter.toFixed(2)}`, r.ok ? 'ok' : `failed: ${r.error}`]));
  }
  console.log(out.join('\n'));
}

try {
  await main();
} catch (error) {
  if (!stopping) {
    process.stderr.write(`huge-catalog benchmark failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  }
} finally {
  if (!stopping) await cleanUp();
}
// The signal handler removes everything and exits; until then the process stays up.
if (stopping) setInterval(() => {}, 1000);
