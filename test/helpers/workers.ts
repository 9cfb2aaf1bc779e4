import { type ChildProcess, spawn } from 'node:child_process';
import { BIN, ROOT } from './cli.ts';
import type { Demo } from './demo.ts';
import { waitFor } from './wait.ts';

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
  try {
    await waitFor('dataalm worker to take jobs', () => {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`dataalm worker exited early:\n${output}`);
      return output.includes('is running');
    }, { timeoutMs: 60_000 });
  } catch (error) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
    throw new Error(`${(error as Error).message}\n${output}`);
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

/** Polls the operation until `done` holds for it, and returns it then. */
export async function waitForOperation(
  demo: Demo,
  id: number,
  what: string,
  done: (operation: OperationRow) => boolean,
  timeoutMs = 120_000,
): Promise<OperationRow> {
  let last: OperationRow | undefined;
  try {
    return await waitFor(`operation ${id} ${what}`, async () => {
      last = await operationRow(demo, id);
      return done(last) && last;
    }, { timeoutMs, intervalMs: 200 });
  } catch (error) {
    throw new Error(`${(error as Error).message} (it is ${last?.state ?? 'unknown'})`);
  }
}

/** Polls the operation until it has ended. */
export function waitForEnd(demo: Demo, id: number, timeoutMs = 120_000): Promise<OperationRow> {
  return waitForOperation(demo, id, 'to end', (o) => ENDED.includes(o.state), timeoutMs);
}

/** Polls the operation until its rollback is no longer running (done, or cut short and ended). */
export function waitForRollbackEnd(demo: Demo, id: number, timeoutMs = 60_000): Promise<OperationRow> {
  return waitForOperation(demo, id, 'to end its rollback', (o) => o.state !== 'rolling-back', timeoutMs);
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
