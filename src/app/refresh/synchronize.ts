import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { redactSecrets } from '../../domain/redaction.js';

const DATAALM_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bin', 'dataalm.js');

/**
 * A synchronize command gets none of dataalm's own settings (the control database, the
 * secret key, the home folder, the owner's first password, an API token), only the two
 * URLs of the staging copy. Its output goes to a runbook log every team member reads.
 * (It runs as the same OS user, so this keeps honest commands from touching the project
 * or leaking its secrets by accident; it is not a sandbox.)
 */
const isWithheld = (key: string) => key.startsWith('DATAALM_');

export interface SyncRun {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * Runs an environment's database synchronization command with `/bin/sh`, in a scratch folder, against the staging
 * copy: its URLs are in DATAALM_SYNC_DATABASE_URL (and DATAALM_SYNC_REPORTING_DATABASE_URL),
 * `dataalm` is on PATH, and every output line goes to `onLine`, its secret-looking values
 * already hidden (the command's own output may print a token). Aborting kills the command.
 */
export async function runSyncCommand(
  command: string,
  options: { home: string; applicationUrl: string; reportingUrl: string | undefined; onLine: (stream: 'stdout' | 'stderr', line: string) => void; signal: AbortSignal },
): Promise<SyncRun> {
  const binDir = path.join(options.home, 'bin');
  fs.mkdirSync(binDir, { recursive: true });
  const shim = path.join(binDir, 'dataalm');
  const script = `#!/bin/sh\nexec ${shellQuote(process.execPath)} ${shellQuote(DATAALM_BIN)} "$@"\n`;
  if (fs.readFileSync(shim, { encoding: 'utf8', flag: 'a+' }) !== script) fs.writeFileSync(shim, script);
  fs.chmodSync(shim, 0o755);
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${binDir}${path.delimiter}${process.env.PATH ?? ''}` };
  for (const key of Object.keys(env)) if (isWithheld(key)) delete env[key];
  env.DATAALM_SYNC_DATABASE_URL = options.applicationUrl;
  if (options.reportingUrl) env.DATAALM_SYNC_REPORTING_DATABASE_URL = options.reportingUrl;
  else delete env.DATAALM_SYNC_REPORTING_DATABASE_URL;
  // Its own process group, so a cancel stops the command and everything it started.
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), 'dataalm-sync-'));
  const child = spawn('/bin/sh', ['-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // already gone
    }
  };
  // SIGTERM first; a command that ignores it is killed 5 s later.
  const stop = () => {
    signalGroup('SIGTERM');
    setTimeout(() => signalGroup('SIGKILL'), 5000).unref();
  };
  if (options.signal.aborted) stop();
  options.signal.addEventListener('abort', stop, { once: true });
  const lines = (stream: 'stdout' | 'stderr') => {
    let rest = '';
    return {
      data: (chunk: Buffer) => {
        const text = rest + chunk.toString();
        const parts = text.split('\n');
        rest = parts.pop() ?? '';
        for (const line of parts) options.onLine(stream, redactSecrets(line));
      },
      end: () => {
        if (rest) options.onLine(stream, redactSecrets(rest));
      },
    };
  };
  const out = lines('stdout');
  const err = lines('stderr');
  child.stdout.on('data', out.data);
  child.stderr.on('data', err.data);
  return new Promise<SyncRun>((resolve, reject) => {
    child.once('error', reject);
    // What the command left running in the background would hold its output open.
    child.once('exit', stop);
    child.once('close', (exitCode, signal) => {
      out.end();
      err.end();
      resolve({ exitCode, signal });
    });
  }).finally(() => {
    options.signal.removeEventListener('abort', stop);
    fs.rmSync(cwd, { recursive: true, force: true });
  });
}

function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}
