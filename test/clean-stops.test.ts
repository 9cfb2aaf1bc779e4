import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { createPool } from '../src/adapters/postgres/create-pool.ts';
import { tableChecksums } from '../src/sample/generate-sample.ts';
import { BIN, ROOT, cliEnv, runCli } from './helpers/cli.ts';
import { freePort } from './helpers/service.ts';

// How dataalm stops and how it lives through the loss of its embedded PostgreSQL, on a fresh
// home as `npm start` runs it: each process under test is started in its own process group,
// as a terminal, systemd or a container runtime does, and the signals go to the whole group.
let parent: string;
let home: string;

const env = (extra: Record<string, string> = {}) => cliEnv({ DATAALM_HOME: home, DATAALM_DEMO_SCALE: '0.001', ...extra });

interface Group {
  readonly child: ChildProcess;
  readonly exited: Promise<number | string>;
  output(): string;
  signal(signal: NodeJS.Signals): void;
}

/** Starts `command` as the leader of a new process group. */
function startGroup(command: string, args: string[], extra: Record<string, string>): Group {
  const child = spawn(command, args, { cwd: ROOT, env: env(extra), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return { child, exited, output: () => output, signal: (signal) => process.kill(-child.pid!, signal) };
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, output?: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s${output ? `\n${output()}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const healthy = (port: number) => fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);

/** Starts the service (`npm start`, or `dataalm start` alone) and waits until /healthz answers. */
async function startService(how: 'npm' | 'dataalm', extra: Record<string, string> = {}, args: string[] = []): Promise<Group & { port: number }> {
  const port = await freePort();
  const group = how === 'npm'
    ? startGroup('npm', ['start', '--silent', ...(args.length ? ['--', ...args] : [])], { DATAALM_PORT: String(port), ...extra })
    : startGroup(process.execPath, [BIN, 'start', ...args], { DATAALM_PORT: String(port), ...extra });
  await waitFor('/healthz', async () => {
    if (group.child.exitCode !== null) throw new Error(`the service exited early:\n${group.output()}`);
    return healthy(port);
  }, 180_000, group.output);
  return { ...group, port };
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

function dataDir(): string {
  return fs.realpathSync(path.join(home, 'pg', 'data'));
}

function postmasterPid(): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(dataDir(), 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/** Processes whose command line names this home's data folder (a postmaster), or whose parent is one of `parents`. */
function leftovers(parents: number[]): string[] {
  const found: string[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
      const ppid = Number(/^PPid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1]);
      if (cmdline.includes(dataDir()) || parents.includes(ppid)) found.push(`${entry}: ${cmdline}`);
    } catch {
      // ended meanwhile
    }
  }
  return found;
}

/** The group ends, and with it every process it started, the embedded server included. */
async function assertNothingLeft(group: Group, postmaster: number | undefined): Promise<void> {
  const pgid = group.child.pid!;
  let timer: NodeJS.Timeout | undefined;
  const code = await Promise.race([group.exited, new Promise((r) => (timer = setTimeout(r, 120_000, 'still running')))]);
  clearTimeout(timer);
  assert.notEqual(code, 'still running', group.output());
  await waitFor('the process group ends', () => !groupAlive(pgid), 30_000, group.output);
  const parents = [pgid, ...(postmaster ? [postmaster] : [])];
  await waitFor('no PostgreSQL of this home is left', () => leftovers(parents).length === 0, 30_000, () => `${leftovers(parents).join('\n')}\n${group.output()}`);
  assert.equal(postmasterPid(), undefined);
}

function adminUrl(database: string): string {
  const url = new URL((JSON.parse(fs.readFileSync(path.join(home, 'embedded.json'), 'utf8')) as { adminUrl: string }).adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** One query on a new connection; undefined while the server cannot answer. */
async function tryQuery<R extends pg.QueryResultRow>(database: string, sql: string, values: unknown[] = []): Promise<R[] | undefined> {
  const client = new pg.Client({ connectionString: adminUrl(database), connectionTimeoutMillis: 5000 });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.query<R>(sql, values)).rows;
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => {});
  }
}

async function checksums(database: string): Promise<Record<string, string>> {
  const pool = createPool(adminUrl(database), 2);
  try {
    return await tableChecksums(pool);
  } finally {
    await pool.end();
  }
}

before(() => {
  parent = fs.mkdtempSync(path.join(os.tmpdir(), 'dataalm-stops-'));
  fs.chmodSync(parent, 0o755);
  home = path.join(parent, 'home');
});

after(() => {
  try {
    const pid = postmasterPid();
    if (pid) process.kill(pid, 'SIGQUIT');
  } finally {
    fs.rmSync(parent, { recursive: true, force: true });
  }
});

describe('clean stops', () => {
  test('npm start, SIGINT twice to its process group: no PostgreSQL, worker or child is left', async () => {
    const service = await startService('npm');
    try {
      assert.match(service.output(), /build is up to date/, 'npm start did not rebuild what is up to date');
      const postmaster = postmasterPid();
      assert.ok(postmaster, 'the embedded server runs');
      service.signal('SIGINT');
      service.signal('SIGINT');
      await assertNothingLeft(service, postmaster);
      assert.doesNotMatch(service.output(), /stopping at once/);
    } finally {
      if (groupAlive(service.child.pid!)) service.signal('SIGKILL');
    }
  });

  test('npm start, SIGTERM once to its process group: nothing is left', async () => {
    const service = await startService('npm');
    try {
      const postmaster = postmasterPid();
      service.signal('SIGTERM');
      await assertNothingLeft(service, postmaster);
    } finally {
      if (groupAlive(service.child.pid!)) service.signal('SIGKILL');
    }
  });

  test('dataalm start alone, SIGINT, then SIGINT again later: the second stops waiting, still nothing is left', async () => {
    const service = await startService('dataalm');
    try {
      const postmaster = postmasterPid();
      service.signal('SIGINT');
      await waitFor('the stop begins', () => service.output().includes('SIGINT received'), 30_000, service.output);
      await new Promise((r) => setTimeout(r, 2500)); // past the window in which a repeat is the same request
      if (groupAlive(service.child.pid!)) service.signal('SIGINT');
      await assertNothingLeft(service, postmaster);
      assert.equal(await service.exited, 0);
    } finally {
      if (groupAlive(service.child.pid!)) service.signal('SIGKILL');
    }
  });

  test('dataalm worker, SIGTERM to its process group: the server it started is stopped, nothing is left', async () => {
    const worker = startGroup(process.execPath, [BIN, 'worker'], {});
    try {
      await waitFor('the worker runs', () => worker.output().includes('is running'), 120_000, worker.output);
      const postmaster = postmasterPid();
      assert.ok(postmaster);
      worker.signal('SIGTERM');
      await assertNothingLeft(worker, postmaster);
    } finally {
      if (groupAlive(worker.child.pid!)) worker.signal('SIGKILL');
    }
  });
});

describe('the embedded PostgreSQL dies', () => {
  test('killed with SIGKILL in the middle of a refresh: it comes back, the operation ends succeeded or failed-with-rollback, target whole', async () => {
    const service = await startService('dataalm', { DATAALM_LEASE_SECONDS: '2' });
    try {
      // Enough rows that the data step lasts a while.
      const loaded = await runCli(['sample', 'load', '--env', 'contoso-prod', '--scale', '0.05', '--replace'], env(), 300_000);
      assert.equal(loaded.code, 0, loaded.stderr);
      const before = await checksums('contoso_uat_app');

      const queued = await runCli(['refresh', '--source', 'contoso-prod', '--target', 'contoso-uat', '--yes', '--detach', '--json'], env());
      assert.equal(queued.code, 0, queued.stderr);
      const id = (JSON.parse(queued.stdout) as { id: number }).id;
      const step = async (name: string) =>
        (await tryQuery<{ status: string }>('dataalm', 'select status from dataalm.operation_steps where operation_id = $1 and name = $2', [id, name]))?.[0]?.status;
      await waitFor('the data step runs', async () => (await step('data')) === 'running', 120_000, service.output);

      const killed = postmasterPid()!;
      process.kill(killed, 'SIGKILL');
      await waitFor('the embedded server runs again', () => {
        const pid = postmasterPid();
        return pid !== undefined && pid !== killed;
      }, 180_000, service.output);
      await waitFor('/healthz answers again', () => healthy(service.port), 60_000, service.output);
      assert.match(service.output(), /the embedded PostgreSQL is running again/);

      const state = async () => (await tryQuery<{ state: string }>('dataalm', 'select state from dataalm.operations where id = $1', [id]))?.[0]?.state;
      await waitFor('the operation ends', async () => ['succeeded', 'failed', 'canceled'].includes((await state()) ?? ''), 300_000, service.output);
      const ended = await state();
      process.stdout.write(`# the operation ended ${ended}; the service said:\n${service.output().split('\n').filter((l) => /PostgreSQL|restart|took the operation|worker/.test(l)).map((l) => `#   ${l}`).join('\n')}\n`);
      if (ended === 'succeeded') {
        assert.notDeepEqual(await checksums('contoso_uat_app'), before, 'the new data is live');
        const verified = await tryQuery<{ passed: boolean }>('dataalm', `select (verification->>'passed')::boolean as passed from dataalm.operations where id = $1`, [id]);
        assert.equal(verified?.[0]?.passed, true);
      } else {
        assert.equal(ended, 'failed', service.output());
        const rollback = await runCli(['op', 'rollback', String(id)], env(), 300_000);
        assert.equal(rollback.code, 0, `${rollback.stdout}\n${rollback.stderr}`);
        assert.deepEqual(await checksums('contoso_uat_app'), before, 'rollback brings the old data back exactly');
      }
      const staging = await tryQuery<{ datname: string }>('postgres', `select datname from pg_database where datname ~ '__(stage|rb)_'`);
      assert.deepEqual(staging, [], 'no staging database is left');

      const postmaster = postmasterPid();
      service.signal('SIGTERM');
      await assertNothingLeft(service, postmaster);
    } finally {
      if (groupAlive(service.child.pid!)) service.signal('SIGKILL');
    }
  });
});
