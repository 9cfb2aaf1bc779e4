import { isEmptyPolicy } from '../../../domain/access-policy.js';
import { DataalmError } from '../../../domain/errors/dataalm-error.js';
import type { ProfileAccess } from '../../../domain/profile/profile-schema.js';
import type { VerificationCheck } from '../../../domain/operation.js';
import { fault } from '../../faults.js';
import type { SqlSession } from '../../../ports/database-server.js';
import type { RunContext } from '../run-context.js';

/** What the access policy did, as the verify step's counters and report record it. */
export interface Reenabled {
  readonly users: number;
  readonly enabled: readonly string[];
  readonly unknown: readonly string[];
}

/**
 * The post-refresh access policy: once the verification report has proved the lock-down,
 * the users (and groups' members) the target's policy names are enabled again, on the
 * staging copy, in one transaction. It runs before the cutover, so a failure here fails the
 * refresh with the target untouched. A named user the copy does not have is a warning.
 */
export async function reenableUsers(ctx: RunContext, access: ProfileAccess | undefined): Promise<{ check: VerificationCheck; counters: Reenabled } | undefined> {
  const policy = await ctx.runtime.accessPolicies.get(ctx.target.name);
  if (isEmptyPolicy(policy)) return undefined;
  if (access === undefined || (policy.groups.length > 0 && access.groups === undefined)) {
    // The profile lost its statement since the policy was set: say so, enable no one.
    await ctx.log('verify', 'warning', `${ctx.target.name}'s access policy names users or groups, but its profile no longer says how to enable them: everyone but Admin stays disabled`);
    return undefined;
  }
  const session = await ctx.session(ctx.stagingUrl('application'));
  let counters: Reenabled;
  try {
    await session.query('BEGIN');
    const byGroup = policy.groups.length > 0 ? await enable(ctx, session, 'access.groups', access.groups!.sql, policy.groups) : { rows: 0, names: [] };
    const byName = policy.users.length > 0 ? await enable(ctx, session, 'access.enable', access.enable.sql, policy.users) : { rows: 0, names: [] };
    await session.query('COMMIT');
    fault('verify:users-reenabled');
    const returned = byName.names !== undefined ? new Set(byName.names) : undefined;
    const unknown = returned ? policy.users.filter((u) => !returned.has(u)) : [];
    const enabled = [...new Set([...(byGroup.names ?? []), ...(returned ? policy.users.filter((u) => returned.has(u)) : policy.users)])];
    counters = { users: byGroup.rows + byName.rows, enabled, unknown };
  } finally {
    await session.end().catch(() => {});
  }
  const groups = policy.groups.length > 0 ? ` (with the members of ${policy.groups.join(', ')})` : '';
  await ctx.log('verify', 'info', `re-enabled ${counters.users} users${groups}: ${counters.enabled.join(', ') || 'none'}`, { ...counters });
  for (const user of counters.unknown) {
    await ctx.log('verify', 'warning', `access policy: user ${user} does not exist in the refreshed copy; nobody was enabled for it`);
  }
  const detail = `re-enabled ${counters.users} users after the checks above passed${counters.unknown.length > 0 ? `; not found: ${counters.unknown.join(', ')}` : ''}`;
  return {
    counters,
    check: { rule: 'access-policy', description: access.enable.description ?? `The users ${ctx.target.name}'s access policy names are enabled again.`, status: 'passed', detail },
  };
}

/** Runs one statement with the list as `$1`; a RETURNING list names who it enabled. */
async function enable(ctx: RunContext, session: SqlSession, statement: string, sql: string, names: readonly string[]): Promise<{ rows: number; names: string[] | undefined }> {
  const result = await session.query(sql, [names]).catch((cause: unknown) => {
    throw new DataalmError('OPERATION_FAILED', `the profile's ${statement} statement failed on the staging copy: ${(cause as Error).message}`, {
      cause,
      remedy: `fix the statement in the profile of ${ctx.target.name} (or clear its access policy: dataalm env access ${ctx.target.name} --clear); dataalm op rollback ${ctx.id} removes the staging databases, the target was not touched`,
    });
  });
  const returning = result.rows.length > 0 || /\breturning\b/i.test(sql);
  const first = (row: Record<string, unknown>) => String(Object.values(row)[0]);
  return { rows: result.rowCount ?? 0, names: returning ? result.rows.map(first) : undefined };
}
