import { readCopyNeeds } from '../../adapters/postgres/copy-privileges.js';
import { type CopyRole, copyNeedRefusals, copyRoles, refreshRoleMap } from '../../domain/preflight/copy-needs.js';
import type { RefusalReason } from '../../domain/operation.js';
import type { Profile } from '../../domain/profile/profile-schema.js';
import type { ConnectionTarget } from '../../adapters/postgres/connection-url.js';
import type { Queryable } from '../../ports/database-server.js';

/**
 * The copy's needs, asked in a refresh's preflight of one pair of databases: what the
 * source's user may read, what the target's user may create, own and grant (the copy
 * engine checks the same again inside its snapshot), and the roles the copy involves.
 * The target's CREATEDB is the preflight's own TARGET_PRIVILEGES rule.
 */
export async function probeCopyNeeds(
  from: Queryable,
  to: Queryable,
  profile: Profile,
  source: ConnectionTarget,
  target: ConnectionTarget,
): Promise<{ reasons: RefusalReason[]; roles: CopyRole[] }> {
  const facts = await readCopyNeeds(from, to, {
    roleMap: refreshRoleMap(profile.roles, source.user, target.user),
    missingRoles: profile.missingRoles,
    sourceName: `${source.host}:${source.port}/${source.database}`,
    targetName: `${target.host}:${target.port}`,
    createsDatabase: false,
  });
  return { reasons: copyNeedRefusals(facts), roles: copyRoles(facts) };
}
