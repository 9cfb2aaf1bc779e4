import type { Actor } from '../domain/actor.js';
import { DataalmError, RefusedError } from '../domain/errors/dataalm-error.js';
import {
  type CreatorKind,
  MOMENTARY_REFUSALS,
  type ScheduleRecord,
  type ScheduleRun,
  checkCron,
  checkTimezone,
  describeCron,
  nextRunAfter,
} from '../domain/schedule.js';
import { preflightRefresh } from './refresh/refresh-service.js';
import type { Runtime } from './runtime.js';

/** The zone a schedule's times are read in when none is given. (Default: UTC.) */
export const DEFAULT_TIMEZONE = 'UTC';

/** A schedule as the CLI and the API show it: in words too, with its latest run. */
export interface ScheduleView extends ScheduleRecord {
  /** "at 02:00 every day", "every minute", … */
  readonly description: string;
  readonly lastRun: ScheduleRun | null;
}

export interface ScheduleInput {
  readonly target: string;
  readonly source: string;
  readonly cron: string;
  readonly timezone?: string | undefined;
}

/** Who adds a schedule: the account it will run as, and what kind of account that is. */
export interface ScheduleCreator {
  readonly actor: Actor;
  readonly kind: CreatorKind;
}

/**
 * Adds a schedule once the source may refresh the target: the refresh preflight is asked as
 * for a request, and any reason that is not about this moment (MOMENTARY_REFUSALS: a busy
 * target, active recurring jobs, a server that does not answer) refuses it.
 */
export async function addSchedule(runtime: Runtime, input: ScheduleInput, creator: ScheduleCreator): Promise<ScheduleView> {
  for (const field of ['target', 'source'] as const) {
    if (input[field].trim() === '') throw new DataalmError('INVALID_INPUT', `${field}${field === 'source' ? ' (--source)' : ''}: an environment name is needed`, { field });
  }
  const timezone = checkTimezone(input.timezone ?? DEFAULT_TIMEZONE);
  const cron = checkCron(input.cron, timezone);
  for (const [field, name] of [['target', input.target], ['source', input.source]] as const) {
    if (!(await runtime.environments.find(name))) {
      throw new DataalmError('NOT_FOUND', `environment "${name}" does not exist`, { field, remedy: 'dataalm env list shows the environments' });
    }
  }
  const checked = await preflightRefresh(runtime, input.source, input.target);
  const lasting = checked.reasons.filter((reason) => !MOMENTARY_REFUSALS.includes(reason.code));
  if (lasting.length > 0) throw new RefusedError(lasting);
  const nextRunAt = nextRunAfter(cron, timezone, new Date())!;
  const record = await runtime.schedules.create({ target: input.target, source: input.source, cron, timezone, nextRunAt, createdByKind: creator.kind }, creator.actor);
  return view(record, null);
}

export async function listSchedules(runtime: Runtime): Promise<ScheduleView[]> {
  const [schedules, lastRuns] = await Promise.all([runtime.schedules.list(), runtime.schedules.lastRuns()]);
  return schedules.map((schedule) => view(schedule, lastRuns.get(schedule.id) ?? null));
}

export async function getSchedule(runtime: Runtime, id: number): Promise<ScheduleView> {
  const schedule = await runtime.schedules.get(id);
  return view(schedule, (await runtime.schedules.runs(id, 1))[0] ?? null);
}

/** Removes a schedule (audited); the refreshes it started stay as they are. */
export async function removeSchedule(runtime: Runtime, id: number, actor: Actor): Promise<ScheduleRecord> {
  return runtime.schedules.remove(id, actor);
}

/** A paused schedule does not fire until it is resumed (audited). */
export async function pauseSchedule(runtime: Runtime, id: number, actor: Actor): Promise<ScheduleView> {
  await runtime.schedules.setPaused(id, true, null, actor);
  return getSchedule(runtime, id);
}

/** Resumes from now on: the times that passed while it was paused do not fire (audited). */
export async function resumeSchedule(runtime: Runtime, id: number, actor: Actor): Promise<ScheduleView> {
  const schedule = await runtime.schedules.get(id);
  const next = nextRunAfter(schedule.cron, schedule.timezone, new Date());
  if (next === null) throw new DataalmError('INVALID_INPUT', `schedule ${id} ("${schedule.cron}") has no time to come`, { field: 'id', remedy: `remove it: dataalm schedule remove ${id}` });
  await runtime.schedules.setPaused(id, false, next, actor);
  return getSchedule(runtime, id);
}

export async function scheduleRuns(runtime: Runtime, id: number, limit = 20): Promise<ScheduleRun[]> {
  return runtime.schedules.runs(id, limit);
}

function view(schedule: ScheduleRecord, lastRun: ScheduleRun | null): ScheduleView {
  return { ...schedule, description: describeCron(schedule.cron), lastRun };
}
