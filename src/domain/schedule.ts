import { Cron } from 'croner';
import { DataalmError, type RefusalCode } from './errors/dataalm-error.js';

/**
 * Terminology
 * - Schedule: a refresh of a sandbox (target) from a source at the times of a cron
 *   expression (five fields: minute hour day-of-month month day-of-week) read in an IANA time
 *   zone. It runs as its creator, through the same preflight as a refresh request.
 * - Due time: one time of the expression. A worker that finds a schedule due claims it by
 *   moving its next run on; times missed while no worker ran fire once, not once each.
 * - Run: what one due time did: started a refresh, was skipped (the target was busy) or
 *   was refused (the preflight's reasons, or the creator may no longer refresh).
 */
export type ScheduleOutcome = 'started' | 'skipped' | 'refused';

/** Who a schedule runs as: a user of the HTTP API, or the operating-system user of a local CLI run. */
export type CreatorKind = 'user' | 'host';

export interface ScheduleRecord {
  readonly id: number;
  readonly target: string;
  readonly source: string;
  readonly cron: string;
  readonly timezone: string;
  readonly createdBy: string;
  readonly createdOrigin: string;
  readonly createdByKind: CreatorKind;
  readonly paused: boolean;
  /** ISO time of the next due time; null while paused. */
  readonly nextRunAt: string | null;
  readonly createdAt: string;
}

export interface ScheduleRun {
  readonly id: number;
  readonly schedule: number;
  readonly dueAt: string;
  readonly firedAt: string;
  readonly outcome: ScheduleOutcome;
  readonly operation: number | null;
  /** The first reason's code: a refusal code (TARGET_BUSY, RELEASE_MISMATCH, …) or an error code. */
  readonly code: string | null;
  readonly reason: string | null;
}

/**
 * Refusals of a refresh preflight that say how things stand at this moment, not whether the
 * source may refresh the target at all: a schedule is added in spite of them (its runs record
 * them when they still hold), while any other reason refuses the schedule itself.
 */
export const MOMENTARY_REFUSALS: readonly RefusalCode[] = ['TARGET_BUSY', 'SOURCE_BUSY', 'TARGET_IS_SOURCE', 'RECURRING_JOBS_ACTIVE', 'UNREACHABLE'];

/** The zone's canonical IANA name ("utc" → "UTC"); INVALID_INPUT naming the flag when it is none. */
export function checkTimezone(timezone: string): string {
  const name = timezone.trim();
  try {
    if (name === '' || /^[+-]?\d/.test(name)) throw new RangeError('not a zone name');
    return new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    throw new DataalmError('INVALID_INPUT', `timezone (--timezone): "${timezone}" is not an IANA time zone`, {
      field: 'timezone',
      remedy: 'give a name such as UTC, Europe/Paris or America/New_York',
    });
  }
}

/**
 * A cron expression of exactly five fields, checked and normalised to single spaces;
 * INVALID_INPUT naming the flag when it is malformed or never comes.
 */
export function checkCron(expression: string, timezone: string): string {
  const fields = expression.trim().split(/\s+/).filter(Boolean);
  const invalid = (why: string) =>
    new DataalmError('INVALID_INPUT', `cron (--cron): "${expression}" ${why}`, {
      field: 'cron',
      remedy: 'five fields: minute hour day-of-month month day-of-week, e.g. "0 2 * * *" (02:00 every day) or "30 6 * * 1-5" (06:30 Monday to Friday)',
    });
  if (fields.length !== 5) throw invalid(`has ${fields.length} field${fields.length === 1 ? '' : 's'}, not 5`);
  const normalised = fields.join(' ');
  let next: Date | null;
  try {
    next = cronOf(normalised, timezone).nextRun(new Date());
  } catch (error) {
    throw invalid(`is not a cron expression: ${(error as Error).message.replace(/^CronPattern: /, '')}`);
  }
  if (next === null) throw invalid('never comes (no such date)');
  return normalised;
}

/** The first due time strictly after `after`, in the schedule's zone; null when none comes. */
export function nextRunAfter(cron: string, timezone: string, after: Date): Date | null {
  return cronOf(cron, timezone).nextRun(after);
}

function cronOf(cron: string, timezone: string): Cron {
  // No function: croner only computes times, it starts no timer.
  return new Cron(cron, { mode: '5-part', timezone });
}

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const DAY_NAMES = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/** "every minute", "at 02:00 every day", "at 06:30 Monday to Friday"; the expression itself when it is less plain. */
export function describeCron(cron: string): string {
  const [minute, hour, dom, month, dow] = cron.split(' ') as [string, string, string, string, string];
  const number = /^\d+$/;
  const pad = (n: string) => n.padStart(2, '0');
  if (dom !== '*' || month !== '*') return `at the times of "${cron}"`;
  const day = (text: string): number | undefined => {
    const index = number.test(text) ? Number(text) : DAY_NAMES.indexOf(text.toUpperCase());
    return index >= 0 && index <= 7 ? index : undefined;
  };
  let days: string | undefined;
  if (dow === '*') days = 'every day';
  else if (day(dow) !== undefined) days = `every ${DAYS[day(dow)!]}`;
  else {
    const range = /^(\w+)-(\w+)$/.exec(dow);
    const [from, to] = range ? [day(range[1]!), day(range[2]!)] : [undefined, undefined];
    if (from !== undefined && to !== undefined) days = `${DAYS[from]} to ${DAYS[to]}`;
  }
  if (days === undefined) return `at the times of "${cron}"`;
  if (minute === '*' && hour === '*') return dow === '*' ? 'every minute' : `every minute, ${days}`;
  const every = /^\*\/(\d+)$/.exec(minute);
  if (every && hour === '*') return `every ${every[1]} minutes${dow === '*' ? '' : `, ${days}`}`;
  if (number.test(minute) && hour === '*') return `every hour at :${pad(minute)}${dow === '*' ? '' : `, ${days}`}`;
  if (number.test(minute) && number.test(hour)) return `at ${pad(hour)}:${pad(minute)} ${days}`;
  return `at the times of "${cron}"`;
}
