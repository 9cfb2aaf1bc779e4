import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DataalmError, RefusedError } from '../../domain/errors/dataalm-error.js';
import { majorDowngradeReason } from '../../domain/preflight/app-versions.js';

/** pg_dump and pg_restore: found once, checked against the servers they will talk to. */
export interface PgTools {
  readonly pgDump: string;
  readonly pgRestore: string;
  readonly major: number;
}

/** The major versions (13, 14, …) of the servers a copy reads from and writes to. */
export interface CopyMajors {
  readonly source: number;
  readonly target: number;
}

/**
 * The pg_dump and pg_restore a copy from `majors.source` to `majors.target` uses, or a refusal
 * before anything is created:
 * - pg_dump refuses a server newer than itself, so the tools must be at least the source's
 *   major; a target newer than the tools is fine (pg_restore only sends it SQL, and dump
 *   output is made to load into newer servers);
 * - a target older than the source is a downgrade, which PostgreSQL does not support: refused
 *   with COPY_UNSUPPORTED. pg_dump output is not guaranteed to load into an older server, and
 *   mostly it does not (any range type of a 14+ source names its multirange, which 13 rejects;
 *   SQL-standard function bodies); worse, what does load may mean something else (a function
 *   body is not checked until it runs; before 15 every role may create in the public schema).
 *
 * Where: DATAALM_PG_BIN (`binDir`) when set, and then only there, since it is an explicit
 * choice; otherwise PATH and the usual install folders (Debian/Ubuntu, RHEL/Fedora, source
 * builds, macOS Homebrew and Postgres.app), taking the newest major found that is new enough.
 */
export function findPgTools(majors: CopyMajors, binDir: string | undefined): PgTools {
  const downgrade = majorDowngradeReason(majors);
  if (downgrade) throw new RefusedError([downgrade]);
  const need = majors.source;
  const found: PgTools[] = [];
  const seen = new Set<string>();
  for (const dir of binDir !== undefined ? [binDir] : candidateFolders()) {
    const pgDump = path.join(dir, exe('pg_dump'));
    const pgRestore = path.join(dir, exe('pg_restore'));
    let real: string;
    try {
      real = fs.realpathSync(pgDump);
      if (!fs.existsSync(pgRestore)) continue;
    } catch {
      continue;
    }
    if (seen.has(real)) continue;
    seen.add(real);
    const major = toolMajor(pgDump);
    // pg_restore must be as new as the pg_dump that wrote the archive (it refuses newer formats).
    if (major === undefined || toolMajor(pgRestore) !== major) continue;
    found.push({ pgDump, pgRestore, major });
  }
  // Newest first; among equal majors the first found (DATAALM_PG_BIN, then PATH order) wins.
  const best = found.reduce<PgTools | undefined>((a, b) => (a === undefined || b.major > a.major ? b : a), undefined);
  if (best !== undefined && best.major >= need) return best;
  const remedy =
    `install the PostgreSQL ${need} client tools (pg_dump and pg_restore ${need} or newer; on Debian/Ubuntu the ` +
    `postgresql-client-${need} package from the PostgreSQL project's apt repository, on RHEL/Fedora postgresql${need}, ` +
    `with Homebrew postgresql@${need}) and set DATAALM_PG_BIN to their bin folder`;
  if (best) {
    throw new DataalmError(
      'TOOLS_MISSING',
      `pg_dump ${best.major} (${best.pgDump}) cannot dump the source's PostgreSQL ${need} server: pg_dump ${need} or newer is needed`,
      { remedy },
    );
  }
  throw new DataalmError('TOOLS_MISSING', `pg_dump and pg_restore were not found${binDir !== undefined ? ` in ${binDir} (DATAALM_PG_BIN)` : ''}`, {
    remedy,
  });
}

/** PATH, then the folders PostgreSQL's packages install into, each major newest first. */
function candidateFolders(): string[] {
  const folders = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean);
  const versioned: [parent: string, entry: RegExp, bin: (entry: string) => string][] = [
    ['/usr/lib/postgresql', /^(\d+)$/, (e) => path.join('/usr/lib/postgresql', e, 'bin')],
    ['/usr', /^pgsql-(\d+)$/, (e) => path.join('/usr', e, 'bin')],
    ['/opt/homebrew/opt', /^postgresql@(\d+)$/, (e) => path.join('/opt/homebrew/opt', e, 'bin')],
    ['/usr/local/opt', /^postgresql@(\d+)$/, (e) => path.join('/usr/local/opt', e, 'bin')],
    ['/Applications/Postgres.app/Contents/Versions', /^(\d+)$/, (e) => path.join('/Applications/Postgres.app/Contents/Versions', e, 'bin')],
  ];
  for (const [parent, entry, bin] of versioned) {
    let entries: string[];
    try {
      entries = fs.readdirSync(parent);
    } catch {
      continue;
    }
    const majors = entries.flatMap((e) => {
      const match = entry.exec(e);
      return match ? [{ e, major: Number(match[1]) }] : [];
    });
    folders.push(...majors.sort((a, b) => b.major - a.major).map(({ e }) => bin(e)));
  }
  folders.push('/usr/local/pgsql/bin');
  return folders;
}

function exe(name: string): string {
  return process.platform === 'win32' ? `${name}.exe` : name;
}

function toolMajor(file: string): number | undefined {
  const result = spawnSync(file, ['--version'], { encoding: 'utf8' });
  const match = /\(PostgreSQL\)\s+(\d+)/.exec(result.stdout ?? '');
  return match ? Number(match[1]) : undefined;
}

/**
 * libpq environment for a URL: the password never appears on a command line (`ps` shows
 * those). The rest of this process' environment passes through, so ~/.pgpass, PGPASSFILE,
 * PGPASSWORD and the PGSSL* settings work for the tools as they do for dataalm itself.
 */
export function libpqEnv(url: string): NodeJS.ProcessEnv {
  const parsed = new URL(url);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PGHOST: parsed.hostname.replace(/^\[|\]$/g, ''),
    PGPORT: parsed.port || '5432',
    PGDATABASE: decodeURIComponent(parsed.pathname.replace(/^\//, '')),
    PGUSER: decodeURIComponent(parsed.username) || 'postgres',
    PGAPPNAME: 'dataalm',
    PGCONNECT_TIMEOUT: '10',
  };
  if (parsed.password) env.PGPASSWORD = decodeURIComponent(parsed.password);
  for (const [param, variable] of Object.entries(URL_PARAMETERS)) {
    const value = parsed.searchParams.get(param);
    if (value !== null) env[variable] = value;
  }
  return env;
}

/** Connection-URL parameters and the libpq variables that carry them to the tools. */
const URL_PARAMETERS: Record<string, string> = {
  sslmode: 'PGSSLMODE',
  sslrootcert: 'PGSSLROOTCERT',
  sslcert: 'PGSSLCERT',
  sslkey: 'PGSSLKEY',
  sslcrl: 'PGSSLCRL',
  target_session_attrs: 'PGTARGETSESSIONATTRS',
};

/** Runs a tool to completion; on failure the error carries its last lines of stderr. */
export function runTool(file: string, args: string[], env: NodeJS.ProcessEnv, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-4000);
    });
    child.once('error', (cause) => reject(new DataalmError('TOOLS_MISSING', `${what}: cannot run ${file}`, { cause })));
    // 'close', not 'exit': only then has all of stderr been read.
    child.once('close', (code, signal) => {
      if (code === 0) return resolve();
      reject(new DataalmError('COPY_FAILED', `${what} failed: ${failureReason(stderr) || `exit ${code ?? signal}`}`));
    });
  });
}

/**
 * What a failed tool said: its last two error lines, each with the DETAIL: and HINT: lines
 * the server sent with it (they often name the object or the fix); without error lines, its
 * last two lines.
 */
export function failureReason(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const groups: string[][] = [];
  let current: string[] | undefined;
  for (const line of lines) {
    if (/^(DETAIL|HINT):/.test(line)) current?.push(line.replace(/\s+/g, ' '));
    else if (/error|fatal/i.test(line)) groups.push((current = [line]));
    else current = undefined;
  }
  const chosen = groups.length > 0 ? groups.slice(-2).map((g) => g.join(' ')) : lines.slice(-2);
  return chosen.map((l) => (l.length > 600 ? `${l.slice(0, 600)}…` : l)).join('; ');
}

/** Runs a tool that only reads (e.g. pg_restore --list) and returns what it printed. */
export function runToolOutput(file: string, args: string[], what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    // Whole buffers, decoded once: a character split between two chunks stays whole.
    const stdout: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    child.once('error', (cause) => reject(new DataalmError('TOOLS_MISSING', `${what}: cannot run ${file}`, { cause })));
    // 'close', not 'exit': a process can exit before its output has all been read, and a
    // table of contents cut short would restore a schema without some of its tables.
    child.once('close', (code) =>
      code === 0 ? resolve(Buffer.concat(stdout).toString('utf8')) : reject(new DataalmError('COPY_FAILED', `${what} failed: ${failureReason(stderr) || `exit ${code}`}`)),
    );
  });
}

