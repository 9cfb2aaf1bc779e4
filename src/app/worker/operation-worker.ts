import os from 'node:os';
import { DataalmError } from '../../domain/errors/dataalm-error.js';
import { type OperationJob, startJobWorker, startNotificationWorker } from '../../adapters/queue/job-queue.js';
import { askForSpares, makeSpare } from '../mirror-spare.js';
import { deliverNotification, requeuePendingNotifications } from '../notification-service.js';
import type { BackgroundRuns } from '../refresh/background-runs.js';
import { reapAbandoned } from '../refresh/abandoned.js';
import { resumeOperation, runOperation, workerId } from '../runbook/engine.js';
import { runRollback } from '../runbook/rollback-runbook.js';
import type { Runtime } from '../runtime.js';
import { fireDueSchedules } from './schedule-firing.js';

/** How often a worker looks for due schedules (every lease/2 when that is shorter). */
const SCHEDULE_TICK_MS = 5000;

export interface OperationWorker {
  readonly id: string;
  stop(): Promise<void>;
}

/** Notifications one worker sends at once (each waits at most WEBHOOK_TIMEOUT_MS for its receiver). */
const NOTIFICATION_CONCURRENCY = 4;

/** Queues an operation for the workers. */
export async function enqueueOperation(runtime: Runtime, id: number): Promise<void> {
  await runtime.queue.enqueue({ id, reason: 'requested' }, `operation:${id}`);
}

/**
 * A worker: takes operation jobs from the queue and runs them, `concurrency` at a time.
 * Every lease/2 seconds it also looks for operations whose runner went silent for a whole
 * lease (a worker or CLI that died) and queues their takeover, which the first free
 * worker claims and resumes; the takeover is written to the runbook log.
 */
export async function startOperationWorker(
  runtime: Runtime,
  runs: BackgroundRuns,
  options: { readonly concurrency: number; readonly onLine: (line: string) => void },
): Promise<OperationWorker> {
  const id = workerId();
  const lease = runtime.config.leaseSeconds;
  const ops = runtime.operations;
  await runtime.workers.register(id, os.hostname(), process.pid, options.concurrency);

  const handle = async (job: OperationJob): Promise<void> => {
    const operation = await ops.find(job.id);
    if (!operation) return;
    if (operation.state === 'queued') {
      await runs.run(job.id, (o) => runOperation(runtime, job.id, o)).catch((error: unknown) => {
        // Another worker (or the CLI that asked) started it first: nothing to do.
        if (!(error instanceof DataalmError && error.code === 'REFUSED')) throw error;
      });
    } else if (operation.state === 'running') {
      const from = await ops.claimStale(job.id, id, 'running', lease);
      if (from === undefined) return; // its runner is alive, or another worker took it
      await ops.log(job.id, null, 'warning', `worker ${id} took the operation over from ${from}, silent for more than ${lease} s`);
      await runs.run(job.id, (o) => resumeOperation(runtime, job.id, o));
    } else if (operation.state === 'rolling-back') {
      // A rollback asked for with --detach, or one whose process went silent.
      if (operation.worker === null ? !(await ops.claimRollback(job.id, id)) : (await ops.claimStale(job.id, id, 'rolling-back', lease)) === undefined) return;
      if (operation.worker !== null) await ops.log(job.id, 'rollback', 'warning', `worker ${id} took the rollback over from ${operation.worker}, silent for more than ${lease} s`);
      await runs.run(job.id, async (o) => (await runRollback(runtime, job.id, o)).operation);
    }
  };

  const sweep = async () => {
    await runtime.workers.seen(id);
    await reapAbandoned(runtime);
    for (const stale of await ops.abandoned(lease)) {
      await runtime.queue.enqueue({ id: stale.id, reason: 'takeover' }, `takeover:${stale.id}:${stale.heartbeatAt}`);
    }
    for (const waiting of await ops.queuedSince(lease)) await enqueueOperation(runtime, waiting);
    await requeuePendingNotifications(runtime);
    await askForSpares(runtime);
  };
  // While the control database is away, one line says so, not one per tick.
  let failing = false;
  const tick = () =>
    void sweep().then(
      () => {
        if (failing) options.onLine('worker sweep works again');
        failing = false;
      },
      (error: Error) => {
        if (!failing) options.onLine(`worker sweep failed: ${error.message} (retried every tick; logged again once it works)`);
        failing = true;
      },
    );

  // Due schedules fire here, where operations are taken: each worker tries, one claim wins.
  let firing: Promise<unknown> | undefined;
  let firingFailed = false;
  const fireSchedules = () => {
    firing ??= fireDueSchedules(runtime, { enqueue: (op) => enqueueOperation(runtime, op), onLine: options.onLine })
      .then(
        () => (firingFailed = false),
        (error: Error) => {
          if (!firingFailed) options.onLine(`schedules could not be fired: ${error.message} (tried again every tick)`);
          firingFailed = true;
        },
      )
      .finally(() => (firing = undefined));
  };

  const jobs = await startJobWorker({ controlUrl: runtime.controlUrl, concurrency: options.concurrency, handle, onLine: options.onLine });
  // Notifications have a runner of their own: a slow receiver never holds an operation's slot.
  const notifications = await startNotificationWorker({
    controlUrl: runtime.controlUrl,
    concurrency: NOTIFICATION_CONCURRENCY,
    handle: (job, attempt) => deliverNotification(runtime, job.delivery, attempt),
    handleSpare: (job) => makeSpare(runtime, job.environment, options.onLine),
    onLine: options.onLine,
  }).catch(async (error: unknown) => {
    await jobs.stop();
    throw error;
  });
  tick();
  const timer = setInterval(tick, Math.max(1000, (lease * 1000) / 2));
  fireSchedules();
  const scheduleTimer = setInterval(fireSchedules, Math.max(1000, Math.min(SCHEDULE_TICK_MS, (lease * 1000) / 2)));
  return {
    id,
    async stop() {
      clearInterval(timer);
      clearInterval(scheduleTimer);
      await firing;
      // No new jobs are taken while the running ones are canceled and awaited.
      await Promise.all([jobs.stop(), notifications.stop(), runs.stopAll()]);
      await runtime.workers.remove(id).catch(() => {});
    },
  };
}
