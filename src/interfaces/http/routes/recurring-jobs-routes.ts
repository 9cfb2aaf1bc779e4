import { recurringJobsOf, stopRecurringJobs } from '../../../app/recurring-jobs-service.js';
import type { Runtime } from '../../../app/runtime.js';
import { type ApiRoute, route } from '../api-route.js';
import { nameParams } from '../params.js';

/**
 * A sandbox's recurring data-management jobs: a refresh into it is refused while any is active
 * (the seed's precondition), and those who may refresh it may stop them here (audited).
 */
export function recurringJobsRoutes(runtime: Runtime): ApiRoute[] {
  return [
    route({
      method: 'GET',
      url: '/api/environments/:name/recurring-jobs',
      access: 'read',
      tag: 'environments',
      summary: "The environment's active recurring import/export jobs, by its refresh profile's query (a refresh into it is refused while there is any)",
      params: nameParams,
      success: { description: 'the active jobs, or why they could not be read' },
      handler: async ({ params }) => recurringJobsOf(runtime, params.name),
    }),
    route({
      method: 'POST',
      url: '/api/environments/:name/recurring-jobs/stop',
      access: 'operate',
      tag: 'environments',
      summary: "Stop a sandbox's active recurring import/export jobs with its refresh profile's statement, so it can be refreshed (audited; production never)",
      params: nameParams,
      success: { description: 'the jobs stopped, and any still active' },
      handler: async ({ params, actor }) => stopRecurringJobs(runtime, params.name, actor),
    }),
  ];
}
