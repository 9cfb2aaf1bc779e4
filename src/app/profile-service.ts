import type { Profile } from '../domain/profile/profile-schema.js';
import { openSession } from '../adapters/postgres/database-servers.js';
import { parseConnectionUrl } from '../adapters/postgres/connection-url.js';
import { unreachable } from '../adapters/postgres/database-probe.js';
import { type ProfileFinding, type ResolvedProfile, readProfileAgainst } from '../engine/profile-rules.js';
import type { Queryable } from '../ports/database-server.js';

export type { ProfileFinding } from '../engine/profile-rules.js';

/**
 * What of a profile does not fit a live database (tables and columns it names, what its
 * rules need of them), all at once: `profile validate --against` and a refresh's preflight.
 */
export async function profileFindings(session: Queryable, profile: Profile): Promise<ProfileFinding[]> {
  return [...(await readProfileAgainst(session, profile)).resolved.findings];
}

/**
 * The profile resolved against a live database: its findings, and which rule decides each
 * table (partitions, cascades), for the refresh preflight and preview, from one reading.
 */
export async function resolveProfileAgainst(session: Queryable, profile: Profile): Promise<ResolvedProfile> {
  return (await readProfileAgainst(session, profile)).resolved;
}

/** profileFindings on a database given by URL (`field` names the input in errors). */
export async function profileFindingsAt(url: string, profile: Profile, field = 'against (--against)'): Promise<ProfileFinding[]> {
  const target = parseConnectionUrl(url, field);
  const session = await openSession(url, 'dataalm profile check', { connectMs: 10_000 }).catch((error: unknown) => {
    throw unreachable(target, field, error);
  });
  try {
    return await profileFindings(session, profile);
  } finally {
    await session.end().catch(() => {});
  }
}

/** A database URL as it may be shown: host, port and database, no credentials. */
export function describeUrl(url: string): string {
  const target = parseConnectionUrl(url, 'url');
  return `${target.host}:${target.port}/${target.database}`;
}
