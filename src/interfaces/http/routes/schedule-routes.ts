import { z } from 'zod';
import { type Schedule, type ScheduleRun, addScheduleBody } from '../../../contract/index.js';
import { addSchedule, listSchedules, pauseSchedule, removeSchedule, resumeSchedule, scheduleRuns } from '../../../app/schedule-service.js';
import type { Runtime } from '../../../app/runtime.js';
import { type ApiRoute, route } from '../api-route.js';
import { idParams } from '../params.js';

/**
 * Scheduled refreshes. Whoever may request a refresh may schedule one (the permission
 * `operate`); a schedule runs as the user who added it, and every change is audited.
 */
export function scheduleRoutes(runtime: Runtime): ApiRoute[] {
  return [
    route({
      method: 'GET',
      url: '/api/schedules',
      access: 'read',
      tag: 'schedules',
      summary: 'Every scheduled refresh, with its next run and its latest run',
      success: { description: 'the schedules' },
      handler: async (): Promise<readonly Schedule[]> => listSchedules(runtime),
    }),
    route({
      method: 'POST',
      url: '/api/schedules',
      access: 'operate',
      tag: 'schedules',
      summary:
        'Schedule a refresh of `target` from `source` at the times of a five-field cron expression in `timezone` (UTC when left out). Refused (409) when the source may not refresh the target; it then runs as you, through the preflight of a refresh request (audited)',
      body: addScheduleBody,
      success: { description: 'the schedule' },
      async handler({ body, actor, reply }) {
        const added: Schedule = await addSchedule(runtime, body, { actor, kind: 'user' });
        return reply.status(201).send(added);
      },
    }),
    route({
      method: 'DELETE',
      url: '/api/schedules/:id',
      access: 'operate',
      tag: 'schedules',
      summary: 'Remove a schedule and its run log; the refreshes it started stay (audited)',
      params: idParams,
      success: { description: 'removed' },
      async handler({ params, actor, reply }) {
        await removeSchedule(runtime, params.id, actor);
        return reply.status(204).send();
      },
    }),
    route({
      method: 'POST',
      url: '/api/schedules/:id/pause',
      access: 'operate',
      tag: 'schedules',
      summary: 'Pause a schedule: it does not fire until it is resumed (audited)',
      params: idParams,
      success: { description: 'the schedule, paused' },
      handler: async ({ params, actor }): Promise<Schedule> => pauseSchedule(runtime, params.id, actor),
    }),
    route({
      method: 'POST',
      url: '/api/schedules/:id/resume',
      access: 'operate',
      tag: 'schedules',
      summary: 'Resume a schedule from now on: times that passed while it was paused do not fire (audited)',
      params: idParams,
      success: { description: 'the schedule, with its next run' },
      handler: async ({ params, actor }): Promise<Schedule> => resumeSchedule(runtime, params.id, actor),
    }),
    route({
      method: 'GET',
      url: '/api/schedules/:id/runs',
      access: 'read',
      tag: 'schedules',
      summary: "A schedule's latest runs, newest first: the refresh each started, or why it was skipped or refused",
      params: idParams,
      query: z.object({ limit: z.coerce.number().int().min(1).max(500).default(20) }),
      success: { description: 'the runs' },
      handler: async ({ params, query }): Promise<readonly ScheduleRun[]> => scheduleRuns(runtime, params.id, query.limit),
    }),
  ];
}
