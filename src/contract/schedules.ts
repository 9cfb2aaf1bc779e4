import { z } from 'zod';
import type { ScheduleRun } from '../domain/schedule.js';

/** What one due time of a schedule did (GET /api/schedules/:id/runs). */
export const scheduleRun = z.strictObject({
  id: z.number(),
  schedule: z.number(),
  /** The time of the cron expression this run was for. */
  dueAt: z.string(),
  firedAt: z.string(),
  /** started: a refresh was queued (`operation`); skipped: the target was busy; refused: `reason` says why. */
  outcome: z.enum(['started', 'skipped', 'refused']),
  operation: z.number().nullable(),
  /** The first reason's code: TARGET_BUSY for a skipped run, a refusal code (or FORBIDDEN) for a refused one. */
  code: z.string().nullable(),
  reason: z.string().nullable(),
}) satisfies z.ZodType<ScheduleRun>;

/** A scheduled refresh of `target` from `source` (GET /api/schedules). */
export const schedule = z.strictObject({
  id: z.number(),
  target: z.string(),
  source: z.string(),
  /** Five fields: minute hour day-of-month month day-of-week. */
  cron: z.string(),
  /** The IANA time zone the expression is read in. */
  timezone: z.string(),
  /** The expression in words: "at 02:00 every day", "every minute". */
  description: z.string(),
  /** The account it runs as (audited as that account's, with the origin "schedule <id>"). */
  createdBy: z.string(),
  createdOrigin: z.string(),
  /** user: a user of the HTTP API (who must still be allowed to refresh); host: the operating-system user of a local CLI run. */
  createdByKind: z.enum(['user', 'host']),
  paused: z.boolean(),
  /** The next due time; null while paused. */
  nextRunAt: z.string().nullable(),
  createdAt: z.string(),
  lastRun: scheduleRun.nullable(),
});

/** POST /api/schedules. */
export const addScheduleBody = z.strictObject({
  target: z.string().min(1).max(63),
  source: z.string().min(1).max(63),
  cron: z.string().min(1).max(200),
  /** IANA name; UTC when left out. */
  timezone: z.string().min(1).max(100).optional(),
});
