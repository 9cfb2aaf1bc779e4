import { type ChildProcess, spawn } from 'node:child_process';
import { BIN, ROOT } from './cli.ts';
import type { Demo } from './demo.ts';

/** A `dataalm worker` process of a test. */
export interface WorkerProcess {
  readonly child: ChildProcess;
  output(): string;
  /** Resolves with the exit code, or the signal's name when it was killed. */
  readonly exited: Promise<number | string>;
  stop(): Promise<number | string>;
}

/** Starts `dataalm worker` and waits until it takes jobs. */
export async function startWorker(env: NodeJS.ProcessEnv, args: string[] = []): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [BIN, 'worker', ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  const deadline = Date.now() + 60_000;
  while (!output.includes('is running')) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`dataalm worker exited early:\n${output}`);
    if (Date.now() > deadline) throw new Error(`dataalm worker did not start within 60 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    output: () => output,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

const ENDED = ['succeeded', 'failed', 'canceled', 'rolled-back'];

/** What a test reads of an operation, straight from the control database (no CLI per poll). */
export interface OperationRow {
  readonly state: string;
  readonly worker: string | null;
  readonly offlineMs: number | null;
  readonly verificationPassed: boolean | null;
  readonly error: string | null;
}

export async function operationRow(demo: Demo, id: number): Promise<OperationRow> {
  const rows = await demo.query<{ state: string; worker: string | null; offline_ms: number | null; passed: boolean | null; error: string | null }>(
    'dataalm',
    `select state, worker, offline_ms, (verification->>'passed')::boolean as passed, error->>'message' as error from dataalm.operations where id = $1`,
    [id],
  );
  const row = rows[0]!;
  return { state: row.state, worker: row.worker, offlineMs: row.offline_ms, verificationPassed: row.passed, error: row.error };
}

/** Polls the operation until it has ended. */
export async function waitForEnd(demo: Demo, id: number, timeoutMs = 120_000): Promise<OperationRow> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const operation = await operationRow(demo, id);
    if (ENDED.includes(operation.state)) return operation;
    if (Date.now() > deadline) throw new Error(`operation ${id} is still ${operation.state} after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The runbook log's messages. */
export async function logMessages(demo: Demo, id: number): Promise<string> {
  const rows = await demo.query<{ message: string }>('dataalm', 'select message from dataalm.operation_log where operation_id = $1 order by id', [id]);
  return rows.map((r) => r.message).join('\n');
}

/** Databases of the demo server whose names mark them as staging copies or breadcrumbs. */
export async function leftoverDatabases(demo: Demo): Promise<{ staging: string[]; breadcrumbs: string[] }> {
  const rows = await demo.query<{ datname: string }>('postgres', `select datname from pg_database where datname ~ '__(stage|pre|rb)_' order by 1`);
  const names = rows.map((r) => r.datname);
  return { staging: names.filter((n) => /__(stage|rb)_/.test(n)), breadcrumbs: names.filter((n) => n.includes('__pre_')) };
}
