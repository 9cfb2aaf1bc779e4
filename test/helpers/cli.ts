import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = path.join(ROOT, 'bin', 'dataalm.js');

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Environment for a CLI run: only what the test gives, plus PATH, so the host's settings don't
 * leak in; and the test run's temporary folder (scripts/run-tests.mjs), so whatever the run
 * leaves behind is found there.
 */
export function cliEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const run = process.env.DATAALM_TEST_TMP;
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...(run ? { TMPDIR: run, DATAALM_TEST_TMP: run } : {}), ...extra };
}

/** Runs the real `dataalm` binary (built code) and collects its output. */
export function runCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000, input?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    child.stdin?.end(input);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`dataalm ${args.join(' ')} timed out\n${stderr}`));
    }, timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * Starts `dataalm copy … --json` and resolves once its data phase has begun, so a test can
 * act on the source (or interrupt the copy) while rows are streaming.
 */
export async function startCopyUntilData(args: string[], env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, [BIN, 'copy', ...args, '--json'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  let stdout = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      stdout += c.toString();
      if (stdout.includes('"phase":"data","status":"started"')) resolve();
    });
    void exited.then((code) => reject(new Error(`dataalm copy exited (${code}) before its data phase:\n${stdout}`)));
  });
  return { child, exited };
}
