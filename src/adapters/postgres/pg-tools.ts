import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DataalmError } from '../../domain/errors/dataalm-error.js';

/** pg_dump and pg_restore: found once, checked against the servers they will talk to. */
export interface PgTools {
  readonly pgDump: string;
  readonly pgRestore: string;
  readonly major: number;
}

/**
 * Looks in DATAALM_PG_BIN, then PATH, then Debian's /usr/lib/postgresql/<major>/bin (newest
 * first). pg_dump refuses servers newer than itself, so the tools must be at least as new
 * as every server involved; the message says which package fixes it.
 */
export function findPgTools(serverMajors: number[], binDir: string | undefined): PgTools {
  const need = Math.max(...serverMajors);
  const candidates: string[] = [];
  if (binDir !== undefined) candidates.push(binDir);
  else {
    candidates.push(...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean));
    const debian = '/usr/lib/postgresql';
    if (fs.existsSync(debian)) {
      for (const v of fs.readdirSync(debian).sort((a, b) => Number(b) - Number(a))) candidates.push(path.join(debian, v, 'bin'));
    }
  }
  let best: PgTools | undefined;
  for (const dir of candidates) {
    const pgDump = path.join(dir, 'pg_dump');
    const pgRestore = path.join(dir, 'pg_restore');
    if (!fs.existsSync(pgDump) || !fs.existsSync(pgRestore)) continue;
    const major = toolMajor(pgDump);
    if (major === undefined) continue;
    if (major >= need) return { pgDump, pgRestore, major };
    best ??= { pgDump, pgRestore, major };
  }
  const install = `install postgresql-client-${need} (apt-get install -y postgresql-client-${need}) or set DATAALM_PG_BIN to a folder with pg_dump ${need}+`;
  if (best) {
    throw new DataalmError('TOOLS_MISSING', `pg_dump ${best.major} (${best.pgDump}) cannot dump a PostgreSQL ${need} server`, {
      remedy: install,
    });
  }
  throw new DataalmError('TOOLS_MISSING', `pg_dump and pg_restore were not found${binDir ? ` in ${binDir}` : ''}`, { remedy: install });
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
      const lines = stderr.trim().split('\n').filter((l) => !/^\s*$/.test(l));
      const reason = toolReason(lines) || lines.slice(-2).join('; ') || `exit ${code ?? signal}`;
      reject(new DataalmError('COPY_FAILED', `${what} failed: ${reason}`));
    });
  });
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
      code === 0
        ? resolve(Buffer.concat(stdout).toString('utf8'))
        : reject(new DataalmError('COPY_FAILED', `${what} failed: ${toolReason(stderr.trim().split('\n')) || (stderr.trim().split('\n').at(-1) ?? code)}`)),
    );
  });
}

/** The error lines of a tool's stderr, with the server's DETAIL and HINT lines that follow them. */
function toolReason(lines: readonly string[]): string {
  return lines.filter((l) => /error|fatal|^\s*(DETAIL|HINT):/i.test(l)).slice(-4).join('; ');
}
