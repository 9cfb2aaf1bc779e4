/**
 * npm run bench -- [--scale S] [--jobs N] [--rounds R] [--out FILE] [--methods LIST]
 *
 * The sample application at scale S on a private local server, then in ONE run, interleaved
 * round by round: dataalm copy (plain, and finance-operations with its masks), pg_dump -Fd
 * + pg_restore, pgcopydb clone (when installed) and CREATE DATABASE … TEMPLATE (the
 * same-server file copy, a floor). Every method starts from a checkpointed server. Prints
 * medians, MiB/s and dataalm's ratio to each anchor, and writes the same as JSON.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { openEmbeddedServer } from '../src/adapters/embedded/embedded-server.ts';
import { createPool } from '../src/adapters/postgres/create-pool.ts';
import { findPgTools, libpqEnv } from '../src/adapters/postgres/pg-tools.ts';
import { loadSampleApplication } from '../src/sample/generate-sample.ts';
import { type RefreshKind, benchRefreshes, printRefreshes } from './refresh-bench.ts';

/**
 * What --methods chooses from. refresh (by copy) and refresh-mirror (from a mirror) are the
 * whole runbook, after the copy rounds (bench/refresh-bench.ts).
 */
const METHOD_KEYS = ['plain', 'finance', 'heavy', 'pg_dump', 'pgcopydb', 'template', 'refresh', 'refresh-mirror', 'refresh-spare'] as const;
const REFRESH_KEYS: readonly string[] = ['refresh', 'refresh-mirror', 'refresh-spare'];
const { values } = parseArgs({
  options: {
    scale: { type: 'string', default: '1' },
    jobs: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '3' },
    out: { type: 'string', default: 'bench-results.json' },
    methods: { type: 'string', default: METHOD_KEYS.join(',') },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  console.log(`npm run bench -- [--scale S] [--jobs N] [--rounds R] [--out FILE] [--methods LIST]

  --scale S      size of the sample application (1 is about 1 GiB)       (default 1)
  --jobs N       workers of every method                                  (default 2)
  --rounds R     rounds; each runs every method once, in turn             (default 3)
  --out FILE     the results as JSON                                      (default bench-results.json)
  --methods LIST comma-separated, out of ${METHOD_KEYS.join(', ')}
                 (default all; plain runs whenever a copy method does: the
                 ratios are to it; refresh,refresh-mirror,refresh-spare alone
                 skip the copy rounds; refresh-spare: from a mirror with a spare)`);
  process.exit(0);
}
const chosen = new Set(values.methods!.split(',').map((m) => m.trim()));
const unknown = [...chosen].filter((m) => !(METHOD_KEYS as readonly string[]).includes(m));
if (unknown.length > 0) throw new Error(`--methods: unknown ${unknown.join(', ')} (known: ${METHOD_KEYS.join(', ')})`);
const scale = Number(values.scale);
const jobs = Number(values.jobs);
const rounds = Number(values.rounds);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

// The anchors' server settings (shared/notes/copy-anchors.md), so ratios compare like with like.
const SETTINGS = {
  shared_buffers: '1GB',
  maintenance_work_mem: '512MB',
  work_mem: '64MB',
  max_wal_size: '8GB',
  checkpoint_timeout: '30min',
  autovacuum: 'off',
};

interface Method {
  readonly key: (typeof METHOD_KEYS)[number];
  readonly name: string;
  readonly run: (target: string) => Promise<{ peakRssMiB?: number; note?: string }>;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-4000)));
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${path.basename(command)} exited ${code}: ${err}`))));
  });
}

/**
 * CPU seconds of a process's waited-for children (/proc/<pid>/stat cutime + cstime): for
 * the postmaster that is every finished backend; for this process, every tool it ran.
 */
function childCpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

function postmasterPid(dataDir: string): number {
  return Number(fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round2 = (x: number) => Math.round(x * 100) / 100;

let cleanup: (() => Promise<void>) | undefined;

async function main(): Promise<void> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'dataalm-bench-'));
  fs.chmodSync(home, 0o755);
  let server = await openEmbeddedServer({ home });
  // A failed run stops its server and removes its files too.
  cleanup = async () => {
    await server.release();
    fs.rmSync(home, { recursive: true, force: true });
  };
  const admin = () => {
    const client = new pg.Client({ connectionString: server.adminUrl });
    client.on('error', () => {});
    return client;
  };
  const sql = async (text: string) => {
    const client = admin();
    await client.connect();
    try {
      return await client.query(text);
    } finally {
      await client.end();
    }
  };
  for (const [key, value] of Object.entries(SETTINGS)) await sql(`ALTER SYSTEM SET ${key} = '${value}'`);
  await server.release();
  server = await openEmbeddedServer({ home });
  const url = (db: string) => {
    const u = new URL(server.adminUrl);
    u.pathname = `/${db}`;
    return u.toString();
  };

  process.stderr.write(`Loading the sample application at scale ${scale}…\n`);
  await sql('CREATE DATABASE bench_src');
  const pool = createPool(url('bench_src'), 3);
  const loaded = await loadSampleApplication(pool, { scale, variant: 'contoso-prod' });
  await pool.end();
  const sourceMiB = loaded.bytes / 1048576;
  process.stderr.write(`  ${loaded.rows} rows, ${sourceMiB.toFixed(0)} MiB in ${loaded.seconds} s\n`);

  const tools = findPgTools({ source: 15, target: 15 }, process.env.DATAALM_PG_BIN);
  const pgcopydb = spawnSync('sh', ['-c', 'command -v pgcopydb'], { encoding: 'utf8' }).stdout.trim();
  const dataalm = async (target: string, profile: string) => {
    const args = [path.join(root, 'bin', 'dataalm.js'), 'copy', '--from', url('bench_src'), '--to', url(target), '--jobs', String(jobs), '--profile', profile, '--json'];
    // keep-from is the source itself, so finance-operations moves the same rows as plain and
    // the difference is the cost of the masks and of the keep-target steps.
    if (profile === 'finance-operations') args.push('--keep-from', url('bench_src'));
    const out = await run(process.execPath, args, { PATH: process.env.PATH, HOME: process.env.HOME, DATAALM_SECRET_KEY: 'benchmark-installation-key' });
    const lines = out.trim().split('\n').map((l) => JSON.parse(l) as { type: string; table?: string; parts?: number; peakRssMiB?: number });
    // Which tables several workers copied side by side.
    const split = lines.filter((e) => e.type === 'table' && e.parts! > 1).map((e) => `${e.table} in ${e.parts} parts`);
    return { peakRssMiB: lines.at(-1)!.peakRssMiB!, note: split.length > 0 ? `split: ${split.join(', ')}` : 'no table split' };
  };
  const all: Method[] = [
    { key: 'plain', name: 'dataalm copy (plain)', run: (t) => dataalm(t, 'plain') },
    { key: 'finance', name: 'dataalm copy (finance-operations)', run: (t) => dataalm(t, 'finance-operations') },
    { key: 'heavy', name: 'dataalm copy (hash mask on every row of the largest table)', run: (t) => dataalm(t, path.join(root, 'bench', 'heavy-masks.yaml')) },
    {
      key: 'pg_dump',
      name: `pg_dump -Fd -j ${jobs} -Z0 + pg_restore -j ${jobs}`,
      run: async (t) => {
        const dir = path.join(home, 'dump');
        fs.rmSync(dir, { recursive: true, force: true });
        await run(tools.pgDump, ['-Fd', `-j${jobs}`, '-Z0', `--file=${dir}`, '--dbname=bench_src'], libpqEnv(url('bench_src')));
        await sql(`CREATE DATABASE ${t}`);
        await run(tools.pgRestore, [`-j${jobs}`, `--dbname=${t}`, dir], libpqEnv(url(t)));
        fs.rmSync(dir, { recursive: true, force: true });
        return {};
      },
    },
    ...(pgcopydb
      ? [
          {
            key: 'pgcopydb' as const,
            name: `pgcopydb clone --table-jobs ${jobs} --index-jobs ${jobs}`,
            run: async (t: string) => {
              await sql(`CREATE DATABASE ${t}`);
              const dir = path.join(home, 'pgcopydb');
              fs.rmSync(dir, { recursive: true, force: true });
              const env = { PATH: process.env.PATH, HOME: process.env.HOME, PGCOPYDB_SOURCE_PGURI: url('bench_src'), PGCOPYDB_TARGET_PGURI: url(t) };
              await run(pgcopydb, ['clone', `--table-jobs=${jobs}`, `--index-jobs=${jobs}`, `--dir=${dir}`], env);
              return {};
            },
          },
        ]
      : []),
    { key: 'template', name: 'CREATE DATABASE … TEMPLATE (file copy, floor)', run: async (t) => (await sql(`CREATE DATABASE ${t} TEMPLATE bench_src STRATEGY FILE_COPY`), {}) },
  ];
  if (!pgcopydb) process.stderr.write('pgcopydb: absent (apt-get install pgcopydb to include it)\n');
  const copyRounds = [...chosen].some((m) => !REFRESH_KEYS.includes(m));
  const methods = copyRounds ? all.filter((m) => m.key === 'plain' || chosen.has(m.key)) : [];
  const byKey = (key: Method['key']) => methods.find((m) => m.key === key);

  const times = new Map<string, number[]>(methods.map((m) => [m.name, []]));
  const serverCpu = new Map<string, number[]>(methods.map((m) => [m.name, []]));
  const clientCpu = new Map<string, number[]>(methods.map((m) => [m.name, []]));
  const rss = new Map<string, number[]>();
  // The 1-minute load average as each method starts: other work on the machine shows here.
  const loads: number[] = [];
  for (let r = 1; r <= rounds; r++) {
    for (const [i, method] of methods.entries()) {
      const target = `bench_dst_${i}`;
      await sql(`DROP DATABASE IF EXISTS ${target} WITH (FORCE)`);
      await sql('CHECKPOINT');
      const postmaster = postmasterPid(server.dataDir);
      const [serverBefore, clientBefore] = [childCpuSeconds(postmaster), childCpuSeconds(process.pid)];
      loads.push(os.loadavg()[0]!);
      const started = performance.now();
      const { peakRssMiB, note } = await method.run(target);
      const seconds = (performance.now() - started) / 1000;
      // Backends still alive are not counted yet; ending the method's sessions counts them.
      await sql(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${target}' AND pid <> pg_backend_pid()`);
      await new Promise((r) => setTimeout(r, 200));
      serverCpu.get(method.name)!.push(childCpuSeconds(postmaster) - serverBefore);
      clientCpu.get(method.name)!.push(childCpuSeconds(process.pid) - clientBefore);
      times.get(method.name)!.push(seconds);
      if (peakRssMiB !== undefined) rss.set(method.name, [...(rss.get(method.name) ?? []), peakRssMiB]);
      process.stderr.write(`  round ${r}: ${method.name}: ${seconds.toFixed(2)} s (load ${loads.at(-1)!.toFixed(1)}${note ? `; ${note}` : ''})\n`);
      await sql(`DROP DATABASE IF EXISTS ${target} WITH (FORCE)`);
    }
  }
  const kinds: RefreshKind[] = [
    ...(chosen.has('refresh') ? ['copy' as const] : []),
    ...(chosen.has('refresh-mirror') ? ['mirror' as const] : []),
    ...(chosen.has('refresh-spare') ? ['spare' as const] : []),
  ];
  const refresh = kinds.length > 0 ? await benchRefreshes({ kinds, rounds, jobs, root, url, sql }) : undefined;
  await cleanup();
  cleanup = undefined;

  const dataalmPlain = methods.length > 0 ? median(times.get(byKey('plain')!.name)!) : undefined;
  const rows = methods.map((m) => {
    const s = median(times.get(m.name)!);
    return {
      method: m.name,
      medianSeconds: round2(s),
      runs: times.get(m.name)!.map(round2),
      mibPerSecond: round2(sourceMiB / s),
      dataalmRatio: round2(dataalmPlain! / s),
      serverCpuSeconds: round2(median(serverCpu.get(m.name)!)),
      clientCpuSeconds: round2(median(clientCpu.get(m.name)!)),
      peakRssMiB: rss.has(m.name) ? Math.max(...rss.get(m.name)!) : null,
    };
  });
  // A method's time over plain's: of the medians, and round by round (the two ran minutes
  // apart in the same round, so a slow spell of the machine counts against both).
  const overPlain = (key: Method['key']) => {
    const method = byKey(key);
    if (!method) return undefined;
    const plain = times.get(byKey('plain')!.name)!;
    const perRound = times.get(method.name)!.map((s, i) => round2(s / plain[i]!));
    return { ofMedians: round2(median(times.get(method.name)!) / dataalmPlain!), perRound, medianOfRounds: median(perRound) };
  };
  const maskCost = overPlain('finance');
  const heavyMaskCost = overPlain('heavy');
  const load = loads.length > 0 ? { min: round2(Math.min(...loads)), max: round2(Math.max(...loads)), median: round2(median(loads)) } : undefined;
  const report = { scale, jobs, rounds, sourceMiB: Math.round(sourceMiB), sourceRows: loaded.rows, machine: `${os.cpus().length} CPUs, ${Math.round(os.totalmem() / 2 ** 30)} GiB`, loadAverage: load, results: rows, financeOperationsOverPlain: maskCost, heavyMasksOverPlain: heavyMaskCost, refresh };
  fs.writeFileSync(values.out!, `${JSON.stringify(report, null, 2)}\n`);

  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  console.log(`\nScale ${scale} (${report.sourceMiB} MiB, ${loaded.rows} rows), jobs ${jobs}, ${rounds} rounds${rows.length > 0 ? ', medians' : ''}:\n`);
  if (rows.length > 0) {
    console.log(line(['method', 'median s', 'MiB/s', 'dataalm plain ÷ method', 'server CPU s', 'tool CPU s', 'peak RSS MiB']));
    console.log(line(['---', '---:', '---:', '---:', '---:', '---:', '---:']));
  }
  for (const r of rows) {
    console.log(
      line([
        r.method,
        r.medianSeconds.toFixed(2),
        r.mibPerSecond.toFixed(0),
        r.dataalmRatio.toFixed(2),
        r.serverCpuSeconds.toFixed(1),
        r.clientCpuSeconds.toFixed(1),
        r.peakRssMiB === null ? '' : String(r.peakRssMiB),
      ]),
    );
  }
  const ratio = (label: string, r: ReturnType<typeof overPlain>) =>
    r ? [`${label} ÷ plain: ${r.ofMedians.toFixed(2)} of the medians; round by round ${r.perRound.map((x) => x.toFixed(2)).join(' / ')} (median ${r.medianOfRounds.toFixed(2)})`] : [];
  const ratios = [...ratio('finance-operations', maskCost), ...ratio('heavy masks', heavyMaskCost)];
  if (ratios.length > 0) console.log(`\n${ratios.join('\n')}`);
  if (load) console.log(`load average (1 min) as each method started: ${load.min}–${load.max}, median ${load.median}`);
  if (refresh) printRefreshes(refresh, dataalmPlain);
  console.log(`(written to ${values.out})`);
}

try {
  await main();
} catch (error) {
  await cleanup?.().catch(() => {});
  throw error;
}
