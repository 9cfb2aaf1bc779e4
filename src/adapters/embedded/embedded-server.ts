import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { DataalmError } from '../../domain/errors/dataalm-error.js';
import { writeSecretFile, writeState } from './embedded-state.js';
import { isAlive, withHomeLock } from './home-lock.js';
import { type Supervisor, superviseServer } from './server-supervisor.js';
import { type ServerBinaries, SYSTEM_RUNTIME_DIR, stageBinaries } from './server-binaries.js';
import { type SystemUser, currentUser, isRoot, resolveServerUser, userCan } from './system-user.js';

export interface EmbeddedServerOptions {
  /** DATAALM_HOME, absolute. */
  readonly home: string;
  /** DATAALM_PG_PORT: the port at first start; later it must match the one in use. */
  readonly port?: number | undefined;
  /** OS user to run as when dataalm runs as root. */
  readonly osUser?: string | undefined;
  /**
   * For a long-running process (the service, a worker): start the server again when it stops
   * unexpectedly, writing what happens to this function. (Default: not supervised.)
   */
  readonly supervise?: ((line: string) => void) | undefined;
}

/**
 * The embedded server as one dataalm process uses it. Several processes (the service, CLI
 * commands) may share it: each holds a presence connection named `dataalm:<pid>` while it
 * uses the server, and the last one to release it stops it. So a command started while the
 * service runs leaves it alone, and a server whose starter died is stopped by the next user.
 */
export interface EmbeddedServer {
  readonly adminUrl: string;
  readonly port: number;
  readonly dataDir: string;
  /** Whether this open made the server (a new, empty project in its home). */
  readonly created: boolean;
  /** Ends this process' use; stops the server when no other dataalm process uses it. */
  release(): Promise<void>;
}

const SUPERUSER = 'postgres';
const PRESENCE_PREFIX = 'dataalm:';
let opened = 0;
/** How long a start or a stop may take. */
const SERVER_TIMEOUT_MS = 60_000;

export async function openEmbeddedServer(options: EmbeddedServerOptions): Promise<EmbeddedServer> {
  const home = options.home;
  ensureWritableHome(home);
  const user = isRoot() ? resolveServerUser(options.osUser) : currentUser();
  const binaries = stageBinaries(user);
  return withHomeLock(home, async () => {
    const dataDir = prepareDataDir(home, user);
    const initialised = fs.existsSync(path.join(dataDir, 'PG_VERSION'));
    const password = readOrCreatePassword(home, initialised);

    if (!initialised) initialise(binaries, dataDir, user, password, options.port ?? (await freePort()));
    const port = clusterPort(dataDir);
    if (options.port !== undefined && options.port !== port) {
      throw new DataalmError(
        'CONFIGURATION',
        `DATAALM_PG_PORT is ${options.port}, but the embedded server was set up on port ${port} and the environments' URLs point at it`,
        { field: 'DATAALM_PG_PORT', remedy: `unset DATAALM_PG_PORT or set it to ${port}` },
      );
    }
    if ((await runningPort(dataDir)) === undefined) {
      await startServer(binaries, dataDir, user, port, home, initialised);
    }
    const adminUrl = `postgresql://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/postgres`;
    const presenceName = `${PRESENCE_PREFIX}${process.pid}:${++opened}`;
    let presence = await connectPresence(adminUrl, home, presenceName);
    writeState(home, { adminUrl, port, dataDir, binariesPackage: binaries.version });
    let released = false;
    let supervisor: Supervisor | undefined;
    if (options.supervise) {
      supervisor = superviseServer(
        {
          isRunning: () => postmasterStatus(dataDir) !== undefined,
          restart: async () => {
            await withHomeLock(home, async () => {
              if (!released && (await runningPort(dataDir)) === undefined) await startServer(binaries, dataDir, user, port, home, true);
            });
            if (released) return;
            await presence.end().catch(() => {});
            presence = await connectPresence(adminUrl, home, presenceName);
            presence.once('end', () => supervisor?.check());
          },
        },
        options.supervise,
      );
      presence.once('end', () => supervisor?.check());
    }
    return {
      adminUrl,
      port,
      dataDir,
      created: !initialised,
      release: async () => {
        if (released) return;
        released = true;
        supervisor?.stop();
        await withHomeLock(home, async () => {
          await presence.end().catch(() => {});
          if (!(await otherUsers(adminUrl, presenceName))) await stopServer(dataDir);
        });
      },
    };
  });
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
 * (dataalm runs as root in a private folder), the cluster goes to a new folder under
 * SYSTEM_RUNTIME_DIR and `$DATAALM_HOME/pg` becomes a symlink to it: a new home (a fresh
 * clone at the same path) gets a new cluster, never an old one with another password.
 */
function prepareDataDir(home: string, user: SystemUser): string {
  const link = path.join(home, 'pg');
  if (!fs.existsSync(link)) {
    fs.rmSync(link, { force: true }); // a dangling symlink
    fs.mkdirSync(link, { mode: 0o700 });
    if (isRoot()) fs.chownSync(link, user.uid, user.gid);
    if (!userCan(user, ['-w', '-x'], link)) {
      fs.rmdirSync(link);
      const outside = path.join(SYSTEM_RUNTIME_DIR, 'clusters', randomBytes(8).toString('hex'));
      fs.mkdirSync(path.dirname(outside), { recursive: true, mode: 0o755 });
      fs.mkdirSync(outside, { mode: 0o700 });
      fs.chownSync(outside, user.uid, user.gid);
      fs.writeFileSync(path.join(outside, 'DATAALM_HOME'), `${home}\n`);
      fs.symlinkSync(outside, link);
    }
  }
  return path.join(fs.realpathSync(link), 'data');
}

function readOrCreatePassword(home: string, initialised: boolean): string {
  const file = path.join(home, 'pg-password');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  if (initialised) {
    throw new DataalmError('EMBEDDED_SERVER_FAILED', `${file} is missing, so the existing embedded server cannot be reached`, {
      remedy: `restore the file, or remove ${path.join(home, 'pg')} to start with a new, empty server`,
    });
  }
  const password = randomBytes(24).toString('base64url');
  writeSecretFile(file, `${password}\n`);
  return password;
}

/**
 * The port belongs to the cluster (written into its postgresql.conf at initialisation),
 * since every environment URL of the embedded server names it.
 */
function clusterPort(dataDir: string): number {
  const conf = fs.readFileSync(path.join(dataDir, 'postgresql.conf'), 'utf8');
  const port = [...conf.matchAll(/^\s*port\s*=\s*(\d+)/gm)].at(-1)?.[1];
  return port === undefined ? 5432 : Number(port);
}

function initialise(binaries: ServerBinaries, dataDir: string, user: SystemUser, password: string, port: number): void {
  const parent = path.dirname(dataDir);
  const pwfile = path.join(parent, `.pwfile-${process.pid}`);
  fs.rmSync(dataDir, { recursive: true, force: true }); // what an interrupted initdb left
  fs.writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
  if (isRoot()) fs.chownSync(pwfile, user.uid, user.gid);
  try {
    const result = spawnSync(
      path.join(binaries.binDir, 'initdb'),
      ['-D', dataDir, '-U', SUPERUSER, `--pwfile=${pwfile}`, '--auth=scram-sha-256', '-E', 'UTF8', '--no-locale'],
      { cwd: parent, uid: user.uid, gid: user.gid, encoding: 'utf8' },
    );
    if (result.status !== 0) {
      const line = meaningfulLine(`${result.stderr}\n${result.stdout}`) ?? result.error?.message;
      fs.rmSync(dataDir, { recursive: true, force: true });
      throw new DataalmError('EMBEDDED_SERVER_FAILED', `could not initialise the embedded PostgreSQL server: ${line}`, {
        remedy: `check that ${parent} is writable by the server's user "${user.name}"`,
      });
    }
    // Loopback TCP only, on the cluster's own port; no Unix socket (its default folder
    // may not exist or be writable).
    fs.appendFileSync(
      path.join(dataDir, 'postgresql.conf'),
      `\n# set by dataalm\nport = ${port}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = ''\n`,
    );
  } finally {
    fs.rmSync(pwfile, { force: true });
  }
}

interface PostmasterStatus {
  readonly pid: number;
  readonly port: number;
  readonly ready: boolean;
}

/** postmaster.pid: pid, data dir, start time, port, socket dir, listen address, shmem key, status. */
function postmasterStatus(dataDir: string): PostmasterStatus | undefined {
  let lines: string[];
  try {
    lines = fs.readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return undefined;
  }
  const pid = Number(lines[0]);
  if (!isAlive(pid)) return undefined;
  return { pid, port: Number(lines[3]), ready: lines[7]?.trim() === 'ready' };
}

/** The port of the server running on `dataDir`, once it accepts connections. */
async function runningPort(dataDir: string): Promise<number | undefined> {
  const deadline = Date.now() + SERVER_TIMEOUT_MS;
  for (;;) {
    const status = postmasterStatus(dataDir);
    if (!status) return undefined;
    if (status.ready) return status.port;
    if (Date.now() > deadline) return undefined;
    await delay(100); // starting up or shutting down: wait for it to settle
  }
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Starts postgres in its own process group, writing straight to the log file: it does not
 * depend on this process, which may end while another dataalm process still uses it.
 */
async function startServer(
  binaries: ServerBinaries,
  dataDir: string,
  user: SystemUser,
  port: number,
  home: string,
  portIsStored: boolean,
): Promise<void> {
  const logPath = path.join(home, 'postgresql.log');
  const logFd = fs.openSync(logPath, 'a', 0o600);
  const logStart = fs.fstatSync(logFd).size;
  const child = spawn(
    path.join(binaries.binDir, 'postgres'),
    // wal_level = logical: an environment on the embedded server can be a mirror's source (DESIGN §8).
    ['-D', dataDir, '-c', 'wal_level=logical'],
    { cwd: path.dirname(dataDir), uid: user.uid, gid: user.gid, stdio: ['ignore', logFd, logFd], detached: true },
  );
  fs.closeSync(logFd);
  let exited = false;
  child.once('exit', () => (exited = true));
  child.once('error', () => (exited = true));
  child.unref();

  const deadline = Date.now() + SERVER_TIMEOUT_MS;
  while (!exited && Date.now() < deadline) {
    const status = postmasterStatus(dataDir);
    if (status !== undefined && status.pid === child.pid && status.ready) return;
    await delay(50);
  }
  if (!exited) child.kill('SIGQUIT');
  const output = readFrom(logPath, logStart);
  const line = meaningfulLine(output) ?? 'no output';
  const taken = /address already in use/i.test(line);
  throw new DataalmError('EMBEDDED_SERVER_FAILED', `embedded PostgreSQL did not start on 127.0.0.1:${port}: ${line}`, {
    remedy: taken
      ? portIsStored
        ? `another program uses port ${port}, which the embedded server was set up with: stop that program`
        : 'another program uses that port: stop it or set DATAALM_PG_PORT to a free port'
      : `see ${logPath}`,
  });
}

function readFrom(file: string, offset: number): string {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const buffer = Buffer.alloc(Math.max(0, size - offset));
    fs.readSync(fd, buffer, 0, buffer.length, offset);
    return buffer.toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}

async function connectPresence(adminUrl: string, home: string, name: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: adminUrl, application_name: name });
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (cause) {
    throw new DataalmError('EMBEDDED_SERVER_FAILED', `cannot log in to the embedded server: ${(cause as Error).message}`, {
      remedy: `the password in ${path.join(home, 'pg-password')} does not match the server in ${path.join(home, 'pg')}: restore the file, or remove both to start anew`,
      cause,
    });
  }
  return client;
}

/** Whether another dataalm process still holds a presence connection. */
async function otherUsers(adminUrl: string, ownName: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: adminUrl, application_name: 'dataalm-check' });
  client.on('error', () => {});
  try {
    await client.connect();
    // Our presence backend may outlive its closed connection for a moment: wait until it is
    // gone, so a process releasing right after this one does not count us as a user.
    const deadline = Date.now() + 2000;
    while (Date.now() < deadline) {
      const own = await client.query(`SELECT 1 FROM pg_stat_activity WHERE application_name = $1`, [ownName]);
      if (own.rowCount === 0) break;
      await delay(20);
    }
    const others = await client.query(
      `SELECT 1 FROM pg_stat_activity WHERE application_name LIKE $1 AND application_name <> $2 LIMIT 1`,
      [`${PRESENCE_PREFIX}%`, ownName],
    );
    return others.rowCount !== 0;
  } catch {
    return false; // the server is gone already
  } finally {
    await client.end().catch(() => {});
  }
}

/** Fast shutdown (running statements roll back), then wait for the postmaster to exit. */
async function stopServer(dataDir: string): Promise<void> {
  const status = postmasterStatus(dataDir);
  if (!status) return;
  const pid = status.pid;
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + SERVER_TIMEOUT_MS;
  while (isAlive(pid)) {
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGQUIT');
      break;
    }
    await delay(50);
  }
}

/**
 * The line of the server's output that says what went wrong: the first specific failure
 * ("could not bind …: Address already in use") rather than the generic FATAL after it.
 */
function meaningfulLine(text: string): string | undefined {
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
