import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import pg from 'pg';
import { createPool } from '../../src/adapters/postgres/create-pool.ts';
import { tableChecksums } from '../../src/sample/generate-sample.ts';
import { BIN, ROOT, cliEnv } from './cli.ts';
import { freePort } from './service.ts';

/**
 * Processes of a test started as leaders of their own process group, as a terminal, systemd
 * or a container runtime starts them, on one fresh home per test file (useFreshHome), with
 * the checks that nothing of theirs is left once they stopped.
 */
let parent: string;
let home: string;

/** The test file's parent folder (for more homes or servers of its own). */
export function parentFolder(): string {
  return parent;
}

export const env = (extra: Record<string, string> = {}) => cliEnv({ DATAALM_HOME: home, DATAALM_DEMO_SCALE: '0.001', ...extra });

export interface Group {
  readonly child: ChildProcess;
  readonly exited: Promise<number | string>;
  output(): string;
  signal(signal: NodeJS.Signals): void;
}

/** Starts `command` as the leader of a new process group. */
export function startGroup(command: string, args: string[], extra: Record<string, string>): Group {
  const child = spawn(command, args, { cwd: ROOT, env: env(extra), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return { child, exited, output: () => output, signal: (signal) => process.kill(-child.pid!, signal) };
}

export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs: number, output?: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s${output ? `\n${output()}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const healthy = (port: number) => fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);

/** Starts the service (`npm start`, or `dataalm start` alone) and waits until /healthz answers. */
export async function startService(how: 'npm' | 'dataalm', extra: Record<string, string> = {}, args: string[] = []): Promise<Group & { port: number }> {
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

export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

export function dataDir(): string {
  return fs.realpathSync(path.join(home, 'pg', 'data'));
}

export function postmasterPid(): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(dataDir(), 'postmaster.pid'), 'utf8').split('\n')[0]);
    process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/** Processes whose command line names this home's data folder (a postmaster), or whose parent is one of `parents`. */
export function leftovers(parents: number[]): string[] {
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
export async function assertNothingLeft(group: Group, postmaster: number | undefined): Promise<void> {
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

export function adminUrl(database: string): string {
  const url = new URL((JSON.parse(fs.readFileSync(path.join(home, 'embedded.json'), 'utf8')) as { adminUrl: string }).adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** One query on a new connection; undefined while the server cannot answer. */
export async function tryQuery<R extends pg.QueryResultRow>(database: string, sql: string, values: unknown[] = []): Promise<R[] | undefined> {
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

export async function checksums(database: string): Promise<Record<string, string>> {
  const pool = createPool(adminUrl(database), 2);
  try {
    return await tableChecksums(pool);
  } finally {
    await pool.end();
  }
}

/**
 * A fresh home for the test file, made before its tests and removed after them, with any
 * server left on it stopped.
 */
export function useFreshHome(prefix: string): void {
  before(() => {
    parent = fs.mkdtempSync(path.join(os.tmpdir(), `dataalm-${prefix}-`));
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
}

/** A line in the test output, so a test that runs out of time shows how far it got. */
export function mark(line: string): void {
  process.stdout.write(`# ${new Date().toISOString().slice(11, 19)} ${line}\n`);
}
