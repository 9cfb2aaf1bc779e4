import type { Actor } from '../domain/actor.js';
import { openSession } from '../adapters/postgres/database-servers.js';
import { unreachable } from '../adapters/postgres/database-probe.js';
import { parseConnectionUrl } from '../adapters/postgres/connection-url.js';
import { loadProfile } from '../adapters/profile/profile-files.js';
import { DataalmError, RefusedError } from '../domain/errors/dataalm-error.js';
import type { Environment } from '../domain/environment.js';
import { busyReason } from '../domain/preflight/busy-reason.js';
import type { Profile } from '../domain/profile/profile-schema.js';
import type { SqlSession } from '../ports/database-server.js';
import { usesAdministrator } from './refresh/preview-wording.js';
import type { Runtime } from './runtime.js';

/** The sanitize statement a profile names for stopping recurring jobs on a refreshed copy. */
const STOP_STATEMENT = 'stop-recurring-jobs';

export interface RecurringJob {
  readonly name: string;
  /** Messages not processed yet; null when the profile's query does not say. */
  readonly pending: number | null;
}

/** An environment's recurring data-management jobs, as its profile finds them (preflight rule 7). */
export interface RecurringJobs {
  readonly environment: string;
  /** Whether the profile has a query for them; without one, a refresh does not check them. */
  readonly checked: boolean;
  /** Whether the profile has a statement that stops them (a person may stop them from dataalm). */
  readonly stoppable: boolean;
  /** The active ones: a refresh into this environment is refused while there is any. */
  readonly active: readonly RecurringJob[];
  /** Why they could not be read (the database did not answer, the query failed); null when they were. */
  readonly problem: string | null;
}

export interface StoppedJobs extends RecurringJobs {
  /** The jobs that were active and are stopped now. */
  readonly stopped: readonly string[];
}

/** The profile's statement that stops the active jobs: its own, or the sanitize statement a refresh runs. */
function stopStatement(profile: Profile | undefined): string | undefined {
  return profile?.recurringJobs?.stop ?? profile?.sanitize.find((statement) => statement.name === STOP_STATEMENT)?.sql;
}

function profileOf(environment: Environment): Profile | undefined {
  try {
    return loadProfile(environment.profile);
  } catch {
    return undefined;
  }
}

async function activeJobs(session: SqlSession, query: string): Promise<RecurringJob[]> {
  const rows = (await session.query<{ name: unknown; pending?: unknown }>(query)).rows;
  return rows.map((row) => ({ name: String(row.name), pending: row.pending === undefined || row.pending === null ? null : Number(row.pending) }));
}

/** The active recurring jobs of an environment's application database, by its profile's query. Reads only. */
export async function recurringJobsOf(runtime: Runtime, name: string): Promise<RecurringJobs> {
  const environment = await runtime.environments.get(name);
  const profile = profileOf(environment);
  const query = profile?.recurringJobs?.active;
  const base = { environment: environment.name, checked: query !== undefined, stoppable: stopStatement(profile) !== undefined };
  if (query === undefined) return { ...base, active: [], problem: profile ? null : `the refresh profile ${environment.profile} cannot be read` };
  const url = (await runtime.environments.connectionUrls(environment.name)).application;
  if (url === undefined) return { ...base, active: [], problem: `${environment.name} has no application database registered` };
  let session: SqlSession;
  try {
    session = await openSession(url, 'dataalm recurring jobs', { connectMs: 5000, queryMs: 10_000 });
  } catch (error) {
    return { ...base, active: [], problem: `${environment.name}'s application database did not answer: ${(error as Error).message}` };
  }
  try {
    return { ...base, active: await activeJobs(session, query), problem: null };
  } catch (error) {
    return { ...base, active: [], problem: `the profile's recurring-jobs query failed: ${(error as Error).message}` };
  } finally {
    await session.end().catch(() => {});
  }
}

/**
 * Stops a sandbox's active recurring data-management jobs with its profile's statement, so
 * that the seed's precondition of a refresh (rule 7) is met without SQL. Production's jobs
 * run production's integrations: never stopped here. Audited, and written to the history.
 */
export async function stopRecurringJobs(runtime: Runtime, name: string, actor: Actor): Promise<StoppedJobs> {
  const environment = await runtime.environments.get(name);
  if (environment.type === 'production') {
    throw new RefusedError([
      {
        code: 'TARGET_IS_PRODUCTION',
        message: `${environment.name} is a production environment: its recurring jobs run production's integrations and are not stopped by dataalm`,
        remedy: `stop them in ${environment.name} itself if you mean to`,
      },
    ]);
  }
  const busy = await runtime.operations.activeOn(environment.name);
  if (busy) throw new RefusedError([busyReason(environment.name, busy)]);
  const profile = profileOf(environment);
  const query = profile?.recurringJobs?.active;
  const statement = stopStatement(profile);
  if (query === undefined || statement === undefined) {
    throw new DataalmError('INVALID_INPUT', `the refresh profile ${environment.profile} of ${environment.name} has no statement that stops its recurring jobs`, {
      field: 'name',
      remedy: `add recurringJobs.stop (or a sanitize statement named ${STOP_STATEMENT}) to the profile, or stop the jobs in ${environment.name} itself`,
    });
  }
  const url = (await runtime.environments.connectionUrls(environment.name)).application;
  if (url === undefined) throw new DataalmError('INVALID_INPUT', `${environment.name} has no application database registered`, { field: 'name' });
  const session = await openSession(url, 'dataalm recurring jobs', { connectMs: 5000, queryMs: 30_000 }).catch((error: unknown) => {
    throw unreachable(parseConnectionUrl(url, 'application'), `${environment.name} application`, error);
  });
  let stopped: string[];
  let active: RecurringJob[];
  try {
    await session.query('BEGIN');
    const before = await activeJobs(session, query);
    await session.query(statement, usesAdministrator(statement) ? [environment.administrator] : []);
    active = await activeJobs(session, query);
    await session.query('COMMIT');
    const still = new Set(active.map((job) => job.name));
    stopped = before.map((job) => job.name).filter((job) => !still.has(job));
  } catch (error) {
    await session.query('ROLLBACK').catch(() => {});
    throw new DataalmError('OPERATION_FAILED', `the recurring jobs of ${environment.name} could not be stopped: ${(error as Error).message}`, {
      remedy: `check the recurring-jobs statements of profile ${environment.profile} against ${environment.name}'s database`,
      cause: error,
    });
  } finally {
    await session.end().catch(() => {});
  }
  await runtime.environments.audit(actor, 'environment.recurring-jobs.stop', environment.name, { stopped });
  if (stopped.length > 0) {
    await runtime.environments.addHistory(environment.name, 'recurring jobs stopped', { actor: actor.name, jobs: stopped });
  }
  return { environment: environment.name, checked: true, stoppable: true, active, problem: null, stopped };
}
