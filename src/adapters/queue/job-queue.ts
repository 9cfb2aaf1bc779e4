import type { Logger, Runner, TaskList, WorkerUtils } from 'graphile-worker';
import pg from 'pg';

/**
 * Operations travel as jobs of graphile-worker, a PostgreSQL job queue: its tables live in
 * the control database (schema graphile_worker), and LISTEN/NOTIFY hands a new job to a
 * waiting worker at once. A job only says which operation to run; the operation's own row
 * holds its state, so a job that runs twice does nothing the second time.
 */
export const OPERATION_TASK = 'dataalm_operation';

/** Notifications travel as jobs of their own task, run by a small runner of their own (startNotificationWorker). */
export const NOTIFICATION_TASK = 'dataalm_notification';

/** A mirror's spare is made by a job of its own, on the same small runner (startNotificationWorker). */
export const SPARE_TASK = 'dataalm_mirror_spare';

export interface SpareJob {
  readonly environment: string;
}

export interface NotificationJob {
  readonly delivery: number;
}

/** What a handler knows of its job: the how-manieth run this is, of how many at most. */
export interface JobAttempt {
  readonly attempts: number;
  readonly maxAttempts: number;
}

export interface OperationJob {
  readonly id: number;
  /** requested: a new operation; takeover: its runner stopped and another worker resumes it. */
  readonly reason: 'requested' | 'takeover' | 'rollback';
}

/** graphile-worker's own messages go to `onLine` (warnings and errors only). */
/**
 * graphile-worker, loaded when a job is first added or a worker starts: most CLI commands
 * never touch the queue, and loading it costs a short command a tenth of a second.
 */
const graphileWorker = () => import('graphile-worker');

async function queueLogger(onLine: (line: string) => void, quietFailures = false): Promise<Logger> {
  const { Logger } = await graphileWorker();
  return new Logger(() => (level, message, meta) => {
    // A failed try of a job whose handler records its own failures (a notification's attempts).
    if (quietFailures && (meta as { failure?: boolean } | undefined)?.failure) return;
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
    await (await this.#workerUtils()).addJob(OPERATION_TASK, job, { jobKey: key, jobKeyMode: 'preserve_run_at', maxAttempts: 3 });
  }

  /**
   * Queues the sending of a notification. Adding it again while its job waits, is retried or
   * runs adds nothing, so queueing every pending delivery again is safe.
   */
  async enqueueNotification(job: NotificationJob, maxAttempts: number): Promise<void> {
    await (await this.#workerUtils()).addJob(NOTIFICATION_TASK, job, { jobKey: `notification:${job.delivery}`, jobKeyMode: 'unsafe_dedupe', maxAttempts });
  }

  /** Queues the making of a mirror's spare; one waits or runs per environment at a time. */
  async enqueueSpare(job: SpareJob): Promise<void> {
    await (await this.#workerUtils()).addJob(SPARE_TASK, job, { jobKey: `mirror-spare:${job.environment}`, jobKeyMode: 'unsafe_dedupe', maxAttempts: 1 });
  }

  #workerUtils(): Promise<WorkerUtils> {
    this.#utils ??= graphileWorker().then(async ({ makeWorkerUtils }) => makeWorkerUtils({ pgPool: this.#openPool(), logger: await queueLogger(this.#onLine) }));
    return this.#utils;
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
function quietPool(url: string, max: number, limits: Pick<pg.PoolConfig, 'connectionTimeoutMillis' | 'query_timeout'> = {}): pg.Pool {
  const pool = new pg.Pool({ connectionString: url, max, ...limits });
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}

/** Errors of a connection attempt while the server is down, starting up or shutting down. */
const UNAVAILABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ETIMEDOUT', '57P03']);
/** How long a connection attempt of the job runner waits for an unavailable server. */
const PATIENCE_MS = 15 * 60_000;
/**
 * The job runner's statements are short (take a job, record its end) and its connection
 * attempts quick: one that hangs (a connection made as the server went down, a pool slot
 * never given back) is given up after these and tried again, rather than leaving a worker
 * that never takes a job. Waiting for a notification is no statement.
 */
const RUNNER_LIMITS = { connectionTimeoutMillis: 20_000, query_timeout: 120_000 };

/**
 * A pool whose connect() waits, with backoff, while the server is unavailable, until
 * `giveUp()`. graphile-worker records a job's end without awaiting it (worker.js calls
 * failJob/completeJob and moves on) and retries only a few error codes, so an ECONNREFUSED
 * there would be an unhandled rejection that ends the process; waiting for the server
 * instead records the job's end once it is back.
 */
function patientPool(url: string, max: number): { pool: pg.Pool; giveUp(): void } {
  const pool = quietPool(url, max, RUNNER_LIMITS);
  const connect = pool.connect.bind(pool) as () => Promise<pg.PoolClient>;
  let gaveUp = false;
  const patient = async (): Promise<pg.PoolClient> => {
    const deadline = Date.now() + PATIENCE_MS;
    for (let wait = 250; ; wait = Math.min(wait * 2, 5000)) {
      try {
        return await connect();
      } catch (error) {
        const { code, message } = error as { code?: string; message?: string };
        const unavailable = UNAVAILABLE.has(code ?? '') || /Connection terminated|timeout exceeded when trying to connect/.test(message ?? '');
        if (!unavailable || gaveUp || Date.now() > deadline) throw error;
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  };
  // pool.query() connects with a callback: both forms are kept.
  type Callback = (error: Error | undefined, client?: pg.PoolClient, done?: (release?: unknown) => void) => void;
  pool.connect = ((callback?: Callback) => {
    if (!callback) return patient();
    patient().then(
      (client) => callback(undefined, client, (release) => client.release(release as Error | undefined)),
      (error: Error) => callback(error),
    );
    return undefined;
  }) as typeof pool.connect;
  return { pool, giveUp: () => (gaveUp = true) };
}

export interface JobWorker {
  stop(): Promise<void>;
}

/** Waits before the job queue is started again after it stopped on its own: 1 s, 2 s, 4 s … 30 s. */
const RESTART_BACKOFF_MS = { first: 1000, max: 30_000 };

/**
 * Runs operation jobs, `concurrency` at a time, until stopped. graphile-worker stops its
 * runner when it cannot record a job's end (the database was gone for longer than its
 * retries); the runner is then started again, with backoff, until the database answers.
 * Jobs it held are not lost: an operation left running is taken over through its lease.
 */
export async function startJobWorker(options: {
  readonly controlUrl: string;
  readonly concurrency: number;
  readonly handle: (job: OperationJob) => Promise<void>;
  readonly onLine: (line: string) => void;
}): Promise<JobWorker> {
  const logger = await queueLogger(options.onLine);
  return startRunner(options, logger, { [OPERATION_TASK]: async (payload) => options.handle(payload as OperationJob) });
}

/**
 * Sends notifications (and makes mirrors' spares), `concurrency` at a time, beside the operations' runner and with a
 * pool of its own: a slow receiver never holds a slot an operation needs, and an operation
 * running for an hour never holds back its own "started" notification. A handler that
 * throws is run again by the queue after e^attempts seconds, up to the job's max attempts.
 */
export async function startNotificationWorker(options: {
  readonly controlUrl: string;
  readonly concurrency: number;
  readonly handle: (job: NotificationJob, attempt: JobAttempt) => Promise<void>;
  /** Makes a mirror's spare (short: a file copy while the mirror is paused; its failures are recorded by the handler). */
  readonly handleSpare: (job: SpareJob) => Promise<void>;
  readonly onLine: (line: string) => void;
}): Promise<JobWorker> {
  const logger = await queueLogger(options.onLine, true);
  return startRunner(options, logger, {
    [NOTIFICATION_TASK]: async (payload, helpers) => options.handle(payload as NotificationJob, { attempts: helpers.job.attempts, maxAttempts: helpers.job.max_attempts }),
    [SPARE_TASK]: async (payload) => options.handleSpare(payload as SpareJob),
  });
}

async function startRunner(
  options: { readonly controlUrl: string; readonly concurrency: number; readonly onLine: (line: string) => void },
  logger: Logger,
  taskList: TaskList,
): Promise<JobWorker> {
  const { pool, giveUp } = patientPool(options.controlUrl, options.concurrency + 2);
  let stopped = false;
  let restarting: Promise<void> | undefined;
  let wake = () => {};
  const { run } = await graphileWorker();
  const start = () =>
    run({
      pgPool: pool,
      concurrency: options.concurrency,
      noHandleSignals: true,
      pollInterval: 1000,
      logger,
      taskList,
    });
  const watch = (current: Runner) => {
    const onEnd = (error?: unknown) => {
      if (stopped || restarting) return;
      options.onLine(`job queue stopped${error ? ` (${(error as Error).message})` : ''}; starting it again`);
      restarting = restart().finally(() => (restarting = undefined));
    };
    current.promise.then(() => onEnd(), onEnd);
  };
  const restart = async () => {
    for (let wait = RESTART_BACKOFF_MS.first; !stopped; wait = Math.min(wait * 2, RESTART_BACKOFF_MS.max)) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, wait).unref();
      });
      if (stopped) return;
      try {
        runner = await start();
      } catch (error) {
        options.onLine(`job queue could not start again: ${(error as Error).message}; next try in ${Math.min(wait * 2, RESTART_BACKOFF_MS.max) / 1000} s`);
        continue;
      }
      if (stopped) await runner.stop().catch(() => {});
      else {
        watch(runner);
        options.onLine('job queue is running again');
      }
      return;
    }
  };
  let runner: Runner;
  try {
    runner = await start();
  } catch (error) {
    await pool.end().catch(() => {});
    throw error;
  }
  watch(runner);
  return {
    async stop() {
      stopped = true;
      giveUp();
      wake();
      await restarting;
      await runner.stop().catch(() => {});
      await pool.end().catch(() => {});
    },
  };
}
