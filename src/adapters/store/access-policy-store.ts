import type pg from 'pg';
import type { Actor } from '../../domain/actor.js';
import { type AccessPolicy, EMPTY_ACCESS_POLICY, isEmptyPolicy } from '../../domain/access-policy.js';
import { DataalmError } from '../../domain/errors/dataalm-error.js';
import { inTransaction } from './environment-store.js';

interface PolicyRow {
  users: string[];
  groups: string[];
  updated_by: string;
  updated_at: Date;
}

/** Post-refresh access policies, one per environment; every change is audited with its old and new lists. */
export class AccessPolicyStore {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  /** The environment's policy (empty when it has none); NOT_FOUND when the environment does not exist. */
  async get(environment: string): Promise<AccessPolicy> {
    const result = await this.#pool.query<PolicyRow & { id: string }>(
      `select e.id, p.users, p.groups, p.updated_by, p.updated_at
         from dataalm.environments e left join dataalm.environment_access_policies p on p.environment_id = e.id
        where e.name = $1`,
      [environment],
    );
    const row = result.rows[0];
    if (!row) throw new DataalmError('NOT_FOUND', `environment "${environment}" does not exist`, { field: 'name' });
    return toPolicy(row);
  }

  /**
   * Replaces the policy (empty lists remove it), in one transaction with its audit entry
   * (`environment.access-policy`, old and new lists) and an entry in the environment's history.
   */
  async set(environment: string, policy: Pick<AccessPolicy, 'users' | 'groups'>, actor: Actor): Promise<AccessPolicy> {
    return inTransaction(this.#pool, async (client) => {
      const found = await client.query<PolicyRow & { id: string }>(
        `select e.id, p.users, p.groups, p.updated_by, p.updated_at
           from dataalm.environments e left join dataalm.environment_access_policies p on p.environment_id = e.id
          where e.name = $1
            for update of e`,
        [environment],
      );
      const row = found.rows[0];
      if (!row) throw new DataalmError('NOT_FOUND', `environment "${environment}" does not exist`, { field: 'name' });
      const before = toPolicy(row);
      if (isEmptyPolicy(policy)) {
        await client.query('delete from dataalm.environment_access_policies where environment_id = $1', [row.id]);
      } else {
        await client.query(
          `insert into dataalm.environment_access_policies (environment_id, users, groups, updated_by) values ($1, $2, $3, $4)
           on conflict (environment_id) do update set users = excluded.users, groups = excluded.groups,
                                                      updated_by = excluded.updated_by, updated_at = now()`,
          [row.id, policy.users, policy.groups, actor.name],
        );
      }
      const change = { before: { users: before.users, groups: before.groups }, after: { users: policy.users, groups: policy.groups } };
      await client.query(
        `insert into dataalm.audit_log (actor, origin, action, target, details) values ($1, $2, 'environment.access-policy', $3, $4)`,
        [actor.name, actor.origin, environment, change],
      );
      await client.query(`insert into dataalm.environment_history (environment_id, event, details) values ($1, $2, $3)`, [
        row.id,
        isEmptyPolicy(policy) ? 'access policy removed' : 'access policy changed',
        { actor: actor.name, ...change },
      ]);
      const saved = await client.query<PolicyRow>(
        'select users, groups, updated_by, updated_at from dataalm.environment_access_policies where environment_id = $1',
        [row.id],
      );
      return saved.rows[0] ? toPolicy(saved.rows[0]) : EMPTY_ACCESS_POLICY;
    });
  }
}

function toPolicy(row: Partial<PolicyRow>): AccessPolicy {
  if (!row.updated_at) return EMPTY_ACCESS_POLICY;
  return { users: row.users ?? [], groups: row.groups ?? [], updatedBy: row.updated_by ?? null, updatedAt: row.updated_at.toISOString() };
}
