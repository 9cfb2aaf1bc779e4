import type { Command } from 'commander';
import { DataalmError } from '../../domain/errors/dataalm-error.js';
import { checkCron, checkTimezone } from '../../domain/schedule.js';
import { DEFAULT_TIMEZONE, addSchedule, listSchedules, pauseSchedule, removeSchedule, resumeSchedule, scheduleRuns } from '../../app/schedule-service.js';
import type { Schedule, ScheduleRun } from '../../contract/index.js';
import { type OutputOptions, printJson, reportError, withBackend } from './command-context.js';
import { localActor } from './local-actor.js';
import { table } from './operation-view.js';

interface AddOptions {
  source: string;
  cron: string;
  timezone?: string;
  json?: boolean;
}

/** `dataalm schedule …`: refreshes that run by themselves at the times of a cron expression. */
export function registerScheduleCommands(program: Command): void {
  const schedule = program
    .command('schedule')
    .description('refresh a sandbox at the times of a cron expression, as the person who scheduled it, through the same preflight as a refresh')
    .addHelpText(
      'after',
      `
A schedule fires where operations run (dataalm start, dataalm worker): each due time once,
whatever the number of workers; times missed while none ran fire once. When the target is
busy the run is skipped, when the preflight refuses it the reasons are kept: both are in
"dataalm schedule runs ID".`,
    );

  schedule
    .command('add')
    .description('schedule refreshes of TARGET from SOURCE; refused (exit 12) when SOURCE may not refresh TARGET')
    .argument('<target>', 'the sandbox to refresh')
    .requiredOption('--source <env>', 'the environment to copy from')
    .requiredOption('--cron <expr>', 'five fields: minute hour day-of-month month day-of-week, e.g. "0 2 * * *" (02:00 every day) or "30 6 * * 1-5"')
    .option('--timezone <tz>', `IANA time zone the times are read in, e.g. Europe/Paris (default: ${DEFAULT_TIMEZONE})`)
    .option('--json', 'print the schedule as JSON')
    .addHelpText('after', '\nExit codes: 0 added, 2 invalid cron or time zone, 3 no such environment, 12 refused (e.g. a production target, another tenant).')
    .action(async (target: string, o: AddOptions) => {
      // Checked here too, so a mistyped expression is told without opening the project.
      if (!checked(o, () => checkCron(o.cron, checkTimezone(o.timezone ?? DEFAULT_TIMEZONE)))) return;
      await withBackend(o, {
        local: async (runtime) => printAdded(await addSchedule(runtime, { target, source: o.source, cron: o.cron, timezone: o.timezone }, { actor: localActor(), kind: 'host' }), o.json),
        remote: async (client) =>
          printAdded(await client.call('POST /api/schedules', { body: { target, source: o.source, cron: o.cron, ...(o.timezone === undefined ? {} : { timezone: o.timezone }) } }), o.json),
      });
    });

  schedule
    .command('list')
    .description('list the schedules: when each runs next, and what its latest run did')
    .option('--json', 'print a JSON array')
    .action(async (o: { json?: boolean }) => {
      const show = (schedules: readonly Schedule[]) => (o.json ? printJson(schedules) : process.stdout.write(scheduleTable(schedules)));
      await withBackend(o, {
        local: async (runtime) => show(await listSchedules(runtime)),
        remote: async (client) => show(await client.call('GET /api/schedules')),
      });
    });

  schedule
    .command('remove')
    .description('remove a schedule and its run log (the refreshes it started stay)')
    .argument('<id>', 'schedule id (dataalm schedule list)')
    .option('--json', 'print {"id", "removed": true} as JSON')
    .action(async (text: string, o: { json?: boolean }) => {
      const id = checked(o, () => parseScheduleId(text));
      if (id === undefined) return;
      const done = () => (o.json ? printJson({ id, removed: true }) : process.stdout.write(`Schedule ${id} removed.\n`));
      await withBackend(o, {
        local: async (runtime) => {
          await removeSchedule(runtime, id, localActor());
          done();
        },
        remote: async (client) => {
          await client.call('DELETE /api/schedules/:id', { params: { id } });
          done();
        },
      });
    });

  for (const [name, description] of [
    ['pause', 'pause a schedule: it does not fire until it is resumed'],
    ['resume', 'resume a paused schedule from now on (the times that passed while it was paused do not fire)'],
  ] as const) {
    schedule
      .command(name)
      .description(description)
      .argument('<id>', 'schedule id (dataalm schedule list)')
      .option('--json', 'print the schedule as JSON')
      .action(async (text: string, o: { json?: boolean }) => {
        const id = checked(o, () => parseScheduleId(text));
        if (id === undefined) return;
        const show = (s: Schedule) => (o.json ? printJson(s) : process.stdout.write(`Schedule ${s.id} ${s.paused ? 'paused' : `resumed: next run ${when(s)}`}.\n`));
        await withBackend(o, {
          local: async (runtime) => show(await (name === 'pause' ? pauseSchedule : resumeSchedule)(runtime, id, localActor())),
          remote: async (client) => {
            const endpoint = name === 'pause' ? ('POST /api/schedules/:id/pause' as const) : ('POST /api/schedules/:id/resume' as const);
            show(await client.call(endpoint, { params: { id } }));
          },
        });
      });
  }

  schedule
    .command('runs')
    .description("a schedule's latest runs: the refresh each started, or why it was skipped or refused")
    .argument('<id>', 'schedule id (dataalm schedule list)')
    .option('--limit <N>', 'how many, newest first', '20')
    .option('--json', 'print a JSON array')
    .action(async (text: string, o: { limit: string; json?: boolean }) => {
      const show = (runs: readonly ScheduleRun[]) => (o.json ? printJson(runs) : process.stdout.write(runTable(runs)));
      const asked = checked(o, () => {
        if (!/^\d{1,3}$/.test(o.limit) || Number(o.limit) < 1 || Number(o.limit) > 500) throw new DataalmError('INVALID_INPUT', `limit (--limit): "${o.limit}" is not a number from 1 to 500`, { field: 'limit' });
        return { id: parseScheduleId(text), limit: Number(o.limit) };
      });
      if (asked === undefined) return;
      await withBackend(o, {
        local: async (runtime) => show(await scheduleRuns(runtime, asked.id, asked.limit)),
        remote: async (client) => show(await client.call('GET /api/schedules/:id/runs', { params: { id: asked.id }, query: { limit: String(asked.limit) } })),
      });
    });
}

/** What `check` returns, or undefined once its error is reported (with the error's exit code). */
function checked<T>(output: OutputOptions, check: () => T): T | undefined {
  try {
    return check();
  } catch (error) {
    reportError(error, output);
    return undefined;
  }
}

export function parseScheduleId(text: string): number {
  if (!/^\d{1,15}$/.test(text) || Number(text) === 0) {
    throw new DataalmError('INVALID_INPUT', `ID: "${text}" is not a schedule id (a number, see dataalm schedule list)`, { field: 'id' });
  }
  return Number(text);
}

function printAdded(s: Schedule, json: boolean | undefined): void {
  if (json) return printJson(s);
  process.stdout.write(`Schedule ${s.id} added: refresh ${s.target} from ${s.source} ${s.description} (${s.timezone}), as ${s.createdBy}. Next run ${when(s)}.\n`);
}

/** "2026-12-07 02:00 Europe/Paris", in the schedule's own zone. */
function when(s: Pick<Schedule, 'nextRunAt' | 'timezone' | 'paused'>): string {
  if (s.paused) return 'paused';
  return s.nextRunAt ? `${localTime(s.nextRunAt, s.timezone)} ${s.timezone}` : '-';
}

function localTime(iso: string, timezone: string): string {
  // Swedish dates are ISO-like: 2026-12-07 02:00.
  return new Intl.DateTimeFormat('sv-SE', { timeZone: timezone, dateStyle: 'short', timeStyle: 'short' }).format(new Date(iso));
}

function lastRunText(run: ScheduleRun | null): string {
  if (!run) return '-';
  const at = new Date(run.dueAt).toISOString().slice(0, 16).replace('T', ' ');
  if (run.outcome === 'started') return `${at} UTC: started refresh ${run.operation}`;
  return `${at} UTC: ${run.outcome} (${run.code})`;
}

export function scheduleTable(schedules: readonly Schedule[]): string {
  if (schedules.length === 0) return 'No schedules. Add one with `dataalm schedule add TARGET --source SOURCE --cron "0 2 * * *"`.\n';
  return table(
    ['ID', 'TARGET', 'SOURCE', 'WHEN', 'NEXT RUN', 'RUNS AS', 'LAST RUN'],
    schedules.map((s) => [String(s.id), s.target, s.source, `${s.description} (${s.cron})`, when(s), s.createdBy, lastRunText(s.lastRun)]),
  );
}

function runTable(runs: readonly ScheduleRun[]): string {
  if (runs.length === 0) return 'No runs yet.\n';
  return runs
    .map((r) => {
      const at = new Date(r.dueAt).toISOString().slice(0, 16).replace('T', ' ');
      if (r.outcome === 'started') return `${at} UTC  started   refresh ${r.operation} (dataalm op show ${r.operation})`;
      return `${at} UTC  ${r.outcome.padEnd(8)}  ${r.reason ?? ''} [${r.code}]`;
    })
    .join('\n')
    .concat('\n');
}
