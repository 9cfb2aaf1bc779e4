import { Logger, type Runner, type WorkerUtils, makeWorkerUtils, run } from 'graphile-worker';
import pg from 'pg';

/**
 * Operations travel as jobs of graphile-worker, a PostgreSQL job queue: its tables live in
 * the control database (schema graphile_worker), and LISTEN/NOTIFY hands a new job to a
 * waiting worker at once. A job only says which operation to run; the operation's own row
 * holds its state, so a job that runs twice does nothing the second time.
 */
export const OPERATION_TASK = 'dataalm_operation';

export interface OperationJob {
  readonly id: number;
  /** requested: a new operation; takeover: its runner stopped and another worker resumes it. */
  readonly reason: 'requested' | 'takeover' | 'rollback';
}

/** graphile-worker's own messages go to `onLine` (warnings and errors only). */
function queueLogger(onLine: (line: string) => void): Logger {
  return new Logger(() => (level, message) => {
    if (level === 'error' || level === 'warning') onLine(`job queue ${level}: ${message}`);
  });
}

/** Adds jobs; opened on first use. */
export class JobQueue {
  readonly #url: string;
  readonly #onLine: (line: string) => void;
  #pool: pg.Pool | undefined;
  #utils: Promise<WorkerUtils> | undefined;

  constructor(controlUrl: string, onLine: (line: string) => void = () => {}) {
    this.#url = controlUrl;
    this.#onLine = onLine;
  }

  /** `key` makes a job unique while it waits: adding the same key again adds nothing. */
  async enqueue(job: OperationJob, key: string): Promise<void> {
    this.#utils ??= makeWorkerUtils({ pgPool: this.#openPool(), logger: queueLogger(this.#onLine) });
    await (await this.#utils).addJob(OPERATION_TASK, job, { jobKey: key, jobKeyMode: 'preserve_run_at', maxAttempts: 3 });
  }

  async close(): Promise<void> {
    if (this.#utils) await Promise.resolve((await this.#utils).release()).catch(() => {});
    await this.#pool?.end().catch(() => {});
  }

  #openPool(): pg.Pool {
    this.#pool ??= quietPool(this.#url, 2);
    return this.#pool;
  }
}

/** A pool whose idle and checked-out connections may fail without crashing the process. */
function quietPool(url: string, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max });
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

export interface JobWorker {
  stop(): Promise<void>;
}

/** Runs operation jobs, `concurrency` at a time, until stopped. */
export async function startJobWorker(options: {
  readonly controlUrl: string;
  readonly concurrency: number;
  readonly handle: (job: OperationJob) => Promise<void>;
  readonly onLine: (line: string) => void;
}): Promise<JobWorker> {
  const pool = quietPool(options.controlUrl, options.concurrency + 2);
  let runner: Runner;
  try {
    runner = await run({
      pgPool: pool,
      concurrency: options.concurrency,
      noHandleSignals: true,
      pollInterval: 1000,
      logger: queueLogger(options.onLine),
      taskList: { [OPERATION_TASK]: async (payload) => options.handle(payload as OperationJob) },
    });
  } catch (error) {
    await pool.end().catch(() => {});
    throw error;
  }
  return {
    async stop() {
      await runner.stop().catch(() => {});
      await pool.end().catch(() => {});
    },
  };
}
