import type { Command } from 'commander';
import { recurringJobsOf, stopRecurringJobs } from '../../app/recurring-jobs-service.js';
import type { RecurringJobs, RecurringJobsStopped } from '../../contract/index.js';
import { printJson, withBackend } from './command-context.js';
import { localActor } from './local-actor.js';

function jobList(jobs: RecurringJobs['active']): string {
  return jobs.map((job) => `  ${job.name}${job.pending === null ? '' : ` (${job.pending} unprocessed message${job.pending === 1 ? '' : 's'})`}\n`).join('');
}

function showJobs(jobs: RecurringJobs): string {
  if (!jobs.checked) return `The refresh profile of ${jobs.environment} does not check recurring jobs.\n`;
  if (jobs.problem !== null) return `The recurring jobs of ${jobs.environment} could not be read: ${jobs.problem}\n`;
  if (jobs.active.length === 0) return `${jobs.environment} has no active recurring data-management job.\n`;
  const stop = jobs.stoppable ? `Stop them with: dataalm env stop-recurring-jobs ${jobs.environment}\n` : '';
  return `${jobs.environment} has ${jobs.active.length} active recurring data-management job(s); a refresh into it is refused until they are stopped:\n${jobList(jobs.active)}${stop}`;
}

function showStopped(result: RecurringJobsStopped): string {
  const stopped =
    result.stopped.length === 0
      ? `${result.environment} had no active recurring data-management job: nothing was stopped.\n`
      : `Stopped ${result.stopped.length} recurring data-management job(s) of ${result.environment}: ${result.stopped.join(', ')}. Resume them after the refresh.\n`;
  return result.active.length === 0 ? stopped : `${stopped}Still active:\n${jobList(result.active)}`;
}

/** `env recurring-jobs NAME` and `env stop-recurring-jobs NAME`: the seed's precondition of a refresh without SQL. */
export function registerRecurringJobsCommands(env: Command): void {
  env
    .command('recurring-jobs')
    .description("an environment's active recurring data-management (import/export) jobs; a refresh into it is refused while there is any")
    .argument('<name>', 'environment name')
    .option('--json', 'print a JSON object')
    .action(async (name: string, o: { json?: boolean }) => {
      const show = (jobs: RecurringJobs) => (o.json ? printJson(jobs) : process.stdout.write(showJobs(jobs)));
      await withBackend(o, {
        local: async (runtime) => show(await recurringJobsOf(runtime, name)),
        remote: async (client) => show(await client.call('GET /api/environments/:name/recurring-jobs', { params: { name } })),
      });
    });

  env
    .command('stop-recurring-jobs')
    .description("stop a sandbox's active recurring data-management jobs with its refresh profile's statement, so it can be refreshed (audited)")
    .argument('<name>', 'sandbox name')
    .option('--json', 'print a JSON object')
    .action(async (name: string, o: { json?: boolean }) => {
      const show = (result: RecurringJobsStopped) => (o.json ? printJson(result) : process.stdout.write(showStopped(result)));
      await withBackend(o, {
        local: async (runtime) => show(await stopRecurringJobs(runtime, name, localActor())),
        remote: async (client) => show(await client.call('POST /api/environments/:name/recurring-jobs/stop', { params: { name } })),
      });
    });
}
