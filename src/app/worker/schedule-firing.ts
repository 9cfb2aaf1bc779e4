import type { Actor } from '../../domain/actor.js';
import { ROLE_TITLES, can } from '../../domain/access.js';
import { DataalmError, RefusedError, coerceError } from '../../domain/errors/dataalm-error.js';
import { busyReason } from '../../domain/preflight/busy-reason.js';
import { redactSecrets } from '../../domain/redaction.js';
import { type ScheduleRecord, type ScheduleRun, describeCron, nextRunAfter } from '../../domain/schedule.js';
import type { NewScheduleRun } from '../../adapters/store/schedule-store.js';
import { requestRefresh } from '../refresh/refresh-service.js';
import type { Runtime } from '../runtime.js';

/** A scheduled refresh copies as one the API starts with its defaults: 2 parallel jobs, row counts verified. */
const SCHEDULED_REFRESH = { jobs: 2, verify: 'counts' } as const;

export interface FiringOptions {
  /** Queues an operation for the workers (enqueueOperation). */
  readonly enqueue: (id: number) => Promise<void>;
  readonly onLine: (line: string) => void;
}

type Outcome = Omit<NewScheduleRun, 'schedule' | 'dueAt'>;

/**
 * Fires every schedule that is due. Each due time is claimed first (compare-and-set on its
 * next run, moved to the first time after now, so times missed while no worker ran fire
 * once); only the worker whose claim wins fires it. A run is recorded whatever it did.
 */
export async function fireDueSchedules(runtime: Runtime, options: FiringOptions): Promise<ScheduleRun[]> {
  const { now, schedules } = await runtime.schedules.due();
  const runs: ScheduleRun[] = [];
  for (const schedule of schedules) {
    const dueAt = schedule.nextRunAt!;
    const next = nextRunAfter(schedule.cron, schedule.timezone, now);
    if (!(await runtime.schedules.claim(schedule.id, dueAt, next))) continue;
    const outcome = await fire(runtime, schedule, options);
    const run = await runtime.schedules.recordRun({ schedule: schedule.id, dueAt, ...outcome });
    if (!run) continue;
    runs.push(run);
    const what = run.outcome === 'started' ? `started refresh ${run.operation}` : `${run.outcome}: ${run.reason}`;
    options.onLine(`schedule ${schedule.id} (${schedule.target} from ${schedule.source}, due ${dueAt}) ${what}`);
  }
  return runs;
}

/** One due time: as the creator, through the refresh request's own preflight. */
async function fire(runtime: Runtime, schedule: ScheduleRecord, options: FiringOptions): Promise<Outcome> {
  const actor: Actor = { name: schedule.createdBy, origin: `schedule ${schedule.id}` };
  const forbidden = await creatorMayNot(runtime, schedule);
  if (forbidden) return { outcome: 'refused', operation: null, code: 'FORBIDDEN', reason: forbidden };
  const busy = await runtime.operations.activeOn(schedule.target);
  if (busy) return skipped(busyReason(schedule.target, busy).message);
  let id: number;
  try {
    id = await requestRefresh(runtime, { source: schedule.source, target: schedule.target, ...SCHEDULED_REFRESH, actor });
  } catch (thrown) {
    if (thrown instanceof RefusedError) {
      // Another operation took the target between the check above and the request.
      if (thrown.reasons.every((r) => r.code === 'TARGET_BUSY')) return skipped(thrown.reasons.map((r) => r.message).join('; '));
      return { outcome: 'refused', operation: null, code: thrown.reasons[0]?.code ?? 'REFUSED', reason: thrown.reasons.map((r) => `${r.message} (${r.remedy})`).join('; ') };
    }
    const error = coerceError(thrown);
    return { outcome: 'refused', operation: null, code: error instanceof DataalmError ? error.code : 'INTERNAL', reason: redactSecrets(error.message) };
  }
  // The operation exists from here on: it is the run's, whatever happens to these two (a
  // refresh not queued now is queued by the worker's sweep, as any waiting one).
  await runtime.operations.log(id, null, 'info', `started by schedule ${schedule.id} (${describeCron(schedule.cron)}, ${schedule.timezone}) as ${schedule.createdBy}`).catch(() => {});
  await options.enqueue(id).catch(() => {});
  return { outcome: 'started', operation: id, code: null, reason: null };
}

function skipped(reason: string): Outcome {
  return { outcome: 'skipped', operation: null, code: 'TARGET_BUSY', reason };
}

/**
 * Why the creator may no longer request this refresh, if so: a user of the API who was
 * removed or lost the right to refresh. A local CLI user acts for the installation.
 */
async function creatorMayNot(runtime: Runtime, schedule: ScheduleRecord): Promise<string | undefined> {
  if (schedule.createdByKind !== 'user') return undefined;
  const user = await runtime.accounts.getUser(schedule.createdBy).catch((error: unknown) => {
    if (error instanceof DataalmError && error.code === 'NOT_FOUND') return undefined;
    throw error;
  });
  if (!user) return `${schedule.createdBy}, who created the schedule, is no longer a user: a schedule runs as its creator`;
  if (!can(user.role, 'operate')) return `${schedule.createdBy}, who created the schedule, is now a ${ROLE_TITLES[user.role]} and may not request refreshes`;
  return undefined;
}
