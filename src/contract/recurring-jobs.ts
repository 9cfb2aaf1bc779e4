import { z } from 'zod';

/** One recurring data-management (import/export) job, by the profile's query. */
export const recurringJob = z.strictObject({
  name: z.string(),
  /** Messages not processed yet; null when the profile's query does not say. */
  pending: z.number().nullable(),
});

/**
 * An environment's active recurring jobs (preflight rule 7: a refresh into it is refused
 * while there is any). `checked`: the profile has a query for them; `stoppable`: it has a
 * statement that stops them; `problem`: why they could not be read, or null.
 */
export const recurringJobs = z.strictObject({
  environment: z.string(),
  checked: z.boolean(),
  stoppable: z.boolean(),
  active: z.array(recurringJob),
  problem: z.string().nullable(),
});

/** After a stop: the jobs stopped, and those still active (none, when the profile's statement did its work). */
export const recurringJobsStopped = recurringJobs.extend({ stopped: z.array(z.string()) });
