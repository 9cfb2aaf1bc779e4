import type { Profile } from '../domain/profile/profile-schema.js';
import { openSession } from '../adapters/postgres/database-servers.js';
import { parseConnectionUrl } from '../adapters/postgres/connection-url.js';
import { unreachable } from '../adapters/postgres/database-probe.js';
import { discoverDatabase } from '../engine/discovery/discover-database.js';
import { type StartingProfile, startingProfile } from '../engine/discovery/starting-profile.js';
import { type CoverageReport, checkCoverage } from '../engine/discovery/coverage-check.js';
import type { Queryable } from '../ports/database-server.js';
import { describeUrl } from './profile-service.js';

export type { CoverageReport } from '../engine/discovery/coverage-check.js';
export type { StartingProfile } from '../engine/discovery/starting-profile.js';

/** A session on a database given by URL, for one look (`field` names the input in errors). */
async function withDatabase<T>(url: string, field: string, look: (session: Queryable) => Promise<T>): Promise<T> {
  const target = parseConnectionUrl(url, field);
  const session = await openSession(url, 'dataalm profile discovery', { connectMs: 10_000 }).catch((error: unknown) => {
    throw unreachable(target, field, error);
  });
  try {
    return await look(session);
  } finally {
    await session.end().catch(() => {});
  }
}

/** `profile init --from URL`: every column classified, and the profile that follows from it. */
export async function initProfile(url: string): Promise<StartingProfile & { readonly source: string }> {
  const source = describeUrl(url);
  const database = parseConnectionUrl(url, 'from (--from)').database;
  const name = database.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '') || 'discovered';
  const { tables } = await withDatabase(url, 'from (--from)', (session) => discoverDatabase(session));
  return { source, ...startingProfile(/^[a-z0-9]/.test(name) ? name : `db-${name}`, source, tables) };
}

/** `profile check FILE --against URL`: undecided columns, and personal data copied as it is. */
export async function checkProfileCoverage(url: string, profile: Profile, field = 'against (--against)'): Promise<CoverageReport> {
  return withDatabase(url, field, (session) => checkCoverage(session, profile));
}

/** Whether a coverage report has anything to act on (profile check exits 12). */
export const coverageProblems = (report: CoverageReport): number => report.undecided.length + report.unmasked.length + report.findings.length;
