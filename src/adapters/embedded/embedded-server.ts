import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { DataalmError } from '../../domain/errors/dataalm-error.js';
import { readState, writeSecretFile, writeState } from './embedded-state.js';
import { type ServerBinaries, SYSTEM_RUNTIME_DIR, stageBinaries } from './server-binaries.js';
import { type SystemUser, currentUser, isRoot, resolveServerUser, userCan } from './system-user.js';

export interface EmbeddedServerOptions {
  /** DATAALM_HOME, absolute. */
  readonly home: string;
  /** Port to listen on; when unset the stored one, or a free one at first start. */
  readonly port?: number | undefined;
  /** OS user to run as when dataalm runs as root. */
  readonly osUser?: string | undefined;
  /** Receives the server's own log lines. */
  readonly onLog?: (line: string) => void;
}

/** A reachable embedded server: either one this process started, or one already running. */
export interface EmbeddedServer {
  readonly adminUrl: string;
  readonly port: number;
  readonly dataDir: string;
  /** True when this process started the server and `stop()` will shut it down. */
  readonly owned: boolean;
  stop(): Promise<void>;
}

const SUPERUSER = 'postgres';
/** How long a start may take before we give up; initdb is not included. */
const START_TIMEOUT_MS = 60_000;

/**
 * Opens the embedded server under `home`: initialises it on first use, attaches to it when
 * another dataalm process already runs it, otherwise starts it as a child of this process.
 */
export async function openEmbeddedServer(options: EmbeddedServerOptions): Promise<EmbeddedServer> {
  const home = options.home;
  ensureWritableHome(home);
  const user = isRoot() ? resolveServerUser(options.osUser) : currentUser();
  const binaries = stageBinaries(user);
  const dataDir = prepareDataDir(home, user);
  const password = readOrCreatePassword(home);
  if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    initialise(binaries, dataDir, user, password);
  }

  const running = runningPort(dataDir);
  const stored = readState(home);
  if (running !== undefined) {
    const adminUrl = urlFor(running, password);
    writeState(home, { adminUrl, port: running, dataDir, postgresVersion: binaries.version });
    return { adminUrl, port: running, dataDir, owned: false, stop: async () => {} };
  }

  const port = options.port ?? stored?.port ?? (await freePort());
  const adminUrl = urlFor(port, password);
  const child = await startServer(binaries, dataDir, user, port, home, options.onLog);
  writeState(home, { adminUrl, port, dataDir, postgresVersion: binaries.version });
  return { adminUrl, port, dataDir, owned: true, stop: () => stopServer(child) };
}

function urlFor(port: number, password: string): string {
  return `postgresql://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
}

function ensureWritableHome(home: string): void {
  try {
    fs.mkdirSync(home, { recursive: true, mode: 0o755 });
    fs.accessSync(home, fs.constants.W_OK);
  } catch (cause) {
    throw new DataalmError('EMBEDDED_SERVER_FAILED', `DATAALM_HOME ${home} is not a writable folder`, {
      field: 'DATAALM_HOME',
      remedy: 'point DATAALM_HOME at a folder you can write to',
      cause,
    });
  }
}

/**
 * The cluster lives in `$DATAALM_HOME/pg`. When the server's user cannot reach that folder
 * (dataalm runs as root in a private folder), the cluster goes to SYSTEM_RUNTIME_DIR and
 * `$DATAALM_HOME/pg` becomes a symlink to it, so the data is still found from the home.
 */
function prepareDataDir(home: string, user: SystemUser): string {
  const link = path.join(home, 'pg');
  if (!fs.existsSync(link)) {
    fs.mkdirSync(link, { mode: 0o700 });
    if (isRoot()) fs.chownSync(link, user.uid, user.gid);
    if (!userCan(user, ['-w', '-x'], link)) {
      fs.rmdirSync(link);
      const key = createHash('sha256').update(fs.realpathSync(home)).digest('hex').slice(0, 16);
      const outside = path.join(SYSTEM_RUNTIME_DIR, 'clusters', key);
      fs.mkdirSync(path.dirname(outside), { recursive: true, mode: 0o755 });
      fs.mkdirSync(outside, { recursive: true, mode: 0o700 });
      fs.chownSync(outside, user.uid, user.gid);
      fs.symlinkSync(outside, link);
    }
  }
  return path.join(fs.realpathSync(link), 'data');
}

function readOrCreatePassword(home: string): string {
  const file = path.join(home, 'pg-password');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  const password = randomBytes(24).toString('base64url');
  writeSecretFile(file, `${password}\n`);
  return password;
}

function initialise(binaries: ServerBinaries, dataDir: string, user: SystemUser, password: string): void {
  const parent = path.dirname(dataDir);
  const pwfile = path.join(parent, `.pwfile-${process.pid}`);
  fs.writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (isRoot()) fs.chownSync(pwfile, user.uid, user.gid);
  try {
    const result = spawnSync(
      path.join(binaries.binDir, 'initdb'),
      ['-D', dataDir, '-U', SUPERUSER, `--pwfile=${pwfile}`, '--auth=scram-sha-256', '-E', 'UTF8', '--no-locale'],
      { cwd: parent, uid: user.uid, gid: user.gid, encoding: 'utf8' },
    );
    if (result.status !== 0) {
      const line = lastMeaningfulLine(`${result.stderr}\n${result.stdout}`) ?? result.error?.message;
      fs.rmSync(dataDir, { recursive: true, force: true });
      throw new DataalmError('EMBEDDED_SERVER_FAILED', `could not initialise the embedded PostgreSQL server: ${line}`, {
        remedy: `check that ${parent} is writable by the server's user "${user.name}"`,
      });
    }
  } finally {
    fs.rmSync(pwfile, { force: true });
  }
}

/** The port of a server already running on `dataDir`, read from its postmaster.pid. */
function runningPort(dataDir: string): number | undefined {
  let lines: string[];
  try {
    lines = fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port)) return undefined;
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return undefined;
  }
  return port;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

async function startServer(
  binaries: ServerBinaries,
  dataDir: string,
  user: SystemUser,
  port: number,
  home: string,
  onLog: ((line: string) => void) | undefined,
): Promise<ChildProcess> {
  const logFile = fs.openSync(path.join(home, 'postgresql.log'), 'a', 0o600);
  const recent: string[] = [];
  const child = spawn(
    path.join(binaries.binDir, 'postgres'),
    // No Unix socket: its default folder may not exist or be writable; loopback TCP only.
    ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    { cwd: path.dirname(dataDir), uid: user.uid, gid: user.gid, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const onData = (chunk: Buffer): void => {
    fs.writeSync(logFile, chunk);
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      recent.push(line);
      if (recent.length > 40) recent.shift();
      onLog?.(line);
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.once('exit', () => fs.closeSync(logFile));
  child.once('error', () => {});

  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const outcome = await Promise.race([exited.then(() => 'exited' as const), delay(100).then(() => 'waiting' as const)]);
    if (outcome === 'exited') break;
    if (isReady(dataDir, child.pid)) {
      return child;
    }
  }
  if (child.exitCode === null) await stopServer(child);
  const line = lastMeaningfulLine(recent.join('\n')) ?? 'no output';
  throw new DataalmError('EMBEDDED_SERVER_FAILED', `embedded PostgreSQL did not start on 127.0.0.1:${port}: ${line}`, {
    remedy: /address already in use/i.test(line)
      ? 'another program uses that port: stop it or set DATAALM_PG_PORT to a free port'
      : `see ${path.join(home, 'postgresql.log')}`,
  });
}

/** Ready once postmaster.pid's status line says so (the check pg_ctl itself makes). */
function isReady(dataDir: string, pid: number | undefined): boolean {
  try {
    const lines = fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
    return Number(lines[0]) === pid && lines[7]?.trim() === 'ready';
  } catch {
    return false;
  }
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGINT'); // fast shutdown: roll back open transactions, checkpoint, exit
  const timer = setTimeout(() => child.kill('SIGQUIT'), 30_000);
  await exited;
  clearTimeout(timer);
}

/**
 * The line of the server's output that says what went wrong: the first specific failure
 * ("could not bind …: Address already in use") rather than the generic FATAL after it.
 */
function lastMeaningfulLine(text: string): string | undefined {
  const lines = text
    .split('\n')
    .map((l) => l.replace(/^\d{4}-\d\d-\d\d [\d:.]+ \w+ \[\d+\] /, '').trim())
    .filter(Boolean);
  return (
    lines.find((l) => /could not|no such|permission denied|already in use/i.test(l)) ??
    lines.find((l) => /FATAL|ERROR|PANIC/.test(l)) ??
    lines.at(-1)
  );
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
