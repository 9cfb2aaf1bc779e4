import type pg from 'pg';
import type { Actor } from '../../domain/actor.js';
import type { Role } from '../../domain/access.js';
import { DataalmError } from '../../domain/errors/dataalm-error.js';
import type { FailureCount } from '../../domain/sign-in-throttle.js';
import { inTransaction } from './environment-store.js';

export interface User {
  readonly id: number;
  readonly name: string;
  readonly role: Role;
  readonly createdAt: string;
}

export interface ApiToken {
  readonly id: number;
  readonly name: string;
  readonly user: string;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly revokedAt: string | null;
}

export interface SessionRecord {
  readonly user: User;
  readonly csrfToken: string;
  readonly expiresAt: string;
}

export interface AuditEntry {
  readonly id: number;
  readonly at: string;
  readonly actor: string;
  readonly origin: string;
  readonly action: string;
  readonly target: string | null;
  readonly details: Record<string, unknown>;
}

interface UserRow {
  id: string;
  name: string;
  role: Role;
  created_at: Date;
}

const USER_COLUMNS = 'u.id, u.name, u.role, u.created_at';

/** Users, login sessions and API tokens; secrets only as hashes. */
export class AccountStore {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async countUsers(): Promise<number> {
    return Number((await this.#pool.query<{ n: string }>('select count(*) as n from dataalm.users')).rows[0]!.n);
  }

  async createUser(name: string, role: Role, passwordHash: string, actor: Actor): Promise<User> {
    return inTransaction(this.#pool, async (client) => {
      const inserted = await client
        .query<UserRow>(
          `insert into dataalm.users as u (name, role, password_hash) values ($1, $2, $3) returning ${USER_COLUMNS}`,
          [name, role, passwordHash],
        )
        .catch((error: { code?: string }) => {
          if (error.code === '23505') throw new DataalmError('ALREADY_EXISTS', `name: user "${name}" already exists`, { field: 'name' });
          throw error;
        });
      await audit(client, actor, 'user.add', name, { role });
      return toUser(inserted.rows[0]!);
    });
  }

  async listUsers(): Promise<User[]> {
    return (await this.#pool.query<UserRow>(`select ${USER_COLUMNS} from dataalm.users u order by u.name`)).rows.map(toUser);
  }

  async findUserWithHash(name: string): Promise<{ user: User; passwordHash: string } | undefined> {
    const row = (
      await this.#pool.query<UserRow & { password_hash: string }>(`select ${USER_COLUMNS}, u.password_hash from dataalm.users u where u.name = $1`, [name])
    ).rows[0];
    return row && { user: toUser(row), passwordHash: row.password_hash };
  }

  async getUser(name: string): Promise<User> {
    const row = (await this.#pool.query<UserRow>(`select ${USER_COLUMNS} from dataalm.users u where u.name = $1`, [name])).rows[0];
    if (!row) throw new DataalmError('NOT_FOUND', `user "${name}" does not exist`, { field: 'name' });
    return toUser(row);
  }

  /**
   * Changes a user's role or removes the user, in one transaction that locks the owners, so
   * two requests at once cannot leave the project without a project owner.
   */
  async changeUser(name: string, change: { role: Role } | 'remove', actor: Actor): Promise<User | undefined> {
    return inTransaction(this.#pool, async (client) => {
      const owners = (await client.query<{ name: string }>(`select name from dataalm.users where role = 'owner' for update`)).rows.map((r) => r.name);
      const current = (await client.query<UserRow>(`select ${USER_COLUMNS} from dataalm.users u where u.name = $1 for update`, [name])).rows[0];
      if (!current) throw new DataalmError('NOT_FOUND', `user "${name}" does not exist`, { field: 'name' });
      const losesOwner = current.role === 'owner' && (change === 'remove' || change.role !== 'owner');
      if (losesOwner && owners.length === 1) {
        throw new DataalmError('INVALID_INPUT', `"${name}" is the only project owner`, {
          field: 'name',
          remedy: 'make another user a project owner first',
        });
      }
      if (change === 'remove') {
        await client.query('delete from dataalm.users where id = $1', [current.id]);
        await audit(client, actor, 'user.remove', name, {});
        return undefined;
      }
      const updated = await client.query<UserRow>(
        `update dataalm.users u set role = $2, updated_at = now() where u.id = $1 returning ${USER_COLUMNS}`,
        [current.id, change.role],
      );
      // A new role takes effect at once: the user's sessions end and they sign in again.
      await client.query('delete from dataalm.sessions where user_id = $1', [current.id]);
      await audit(client, actor, 'user.set-role', name, { from: current.role, to: change.role });
      return toUser(updated.rows[0]!);
    });
  }

  /** A new password ends the user's sessions; the change and its audit entry are one transaction. */
  async setPasswordHash(name: string, passwordHash: string, actor: Actor): Promise<void> {
    await inTransaction(this.#pool, async (client) => {
      const updated = await client.query<{ id: string }>('update dataalm.users set password_hash = $2, updated_at = now() where name = $1 returning id', [
        name,
        passwordHash,
      ]);
      if (updated.rowCount === 0) throw new DataalmError('NOT_FOUND', `user "${name}" does not exist`, { field: 'name' });
      await client.query('delete from dataalm.sessions where user_id = $1', [updated.rows[0]!.id]);
      await audit(client, actor, 'user.set-password', name, {});
    });
  }

  async createSession(userId: number, idHash: string, csrfToken: string, lifetimeSeconds: number, origin: string): Promise<void> {
    // Expired sessions are removed as new ones are made; nothing else needs them.
    await this.#pool.query('delete from dataalm.sessions where expires_at < now()');
    await this.#pool.query(
      `insert into dataalm.sessions (id_hash, user_id, csrf_token, expires_at, origin)
       values ($1, $2, $3, now() + make_interval(secs => $4), $5)`,
      [idHash, userId, csrfToken, lifetimeSeconds, origin],
    );
  }

  async findSession(idHash: string): Promise<SessionRecord | undefined> {
    const row = (
      await this.#pool.query<UserRow & { csrf_token: string; expires_at: Date }>(
        `update dataalm.sessions s set last_seen_at = now() from dataalm.users u
          where s.id_hash = $1 and s.expires_at > now() and u.id = s.user_id
          returning ${USER_COLUMNS}, s.csrf_token, s.expires_at`,
        [idHash],
      )
    ).rows[0];
    return row && { user: toUser(row), csrfToken: row.csrf_token, expiresAt: row.expires_at.toISOString() };
  }

  async deleteSession(idHash: string): Promise<void> {
    await this.#pool.query('delete from dataalm.sessions where id_hash = $1', [idHash]);
  }

  async createToken(user: User, name: string, tokenHash: string, actor: Actor): Promise<ApiToken> {
    const row = await inTransaction(this.#pool, async (client) => {
      const inserted = (
        await client.query<{ id: string; created_at: Date }>(
          'insert into dataalm.api_tokens (user_id, name, token_hash) values ($1, $2, $3) returning id, created_at',
          [user.id, name, tokenHash],
        )
      ).rows[0]!;
      await audit(client, actor, 'token.create', user.name, { token: Number(inserted.id), name });
      return inserted;
    });
    return { id: Number(row.id), name, user: user.name, createdAt: row.created_at.toISOString(), lastUsedAt: null, revokedAt: null };
  }

  async listTokens(filter: { user?: string; id?: number } = {}): Promise<ApiToken[]> {
    const rows = await this.#pool.query<{ id: string; name: string; user: string; created_at: Date; last_used_at: Date | null; revoked_at: Date | null }>(
      `select t.id, t.name, u.name as user, t.created_at, t.last_used_at, t.revoked_at
         from dataalm.api_tokens t join dataalm.users u on u.id = t.user_id
        where ($1::text is null or u.name = $1) and ($2::bigint is null or t.id = $2) order by t.id`,
      [filter.user ?? null, filter.id ?? null],
    );
    return rows.rows.map((r) => ({
      id: Number(r.id),
      name: r.name,
      user: r.user,
      createdAt: r.created_at.toISOString(),
      lastUsedAt: r.last_used_at?.toISOString() ?? null,
      revokedAt: r.revoked_at?.toISOString() ?? null,
    }));
  }

  async getToken(id: number): Promise<ApiToken> {
    const token = (await this.listTokens({ id }))[0];
    if (!token) throw new DataalmError('NOT_FOUND', `token ${id} does not exist`, { field: 'id' });
    return token;
  }

  /** The user of a token that is not revoked; notes when it was last used. */
  async findTokenUser(tokenHash: string): Promise<User | undefined> {
    const row = (
      await this.#pool.query<UserRow>(
        `update dataalm.api_tokens t set last_used_at = now() from dataalm.users u
          where t.token_hash = $1 and t.revoked_at is null and u.id = t.user_id
          returning ${USER_COLUMNS}`,
        [tokenHash],
      )
    ).rows[0];
    return row && toUser(row);
  }

  async revokeToken(id: number, actor: Actor): Promise<void> {
    await inTransaction(this.#pool, async (client) => {
      const updated = await client.query<{ user: string }>(
        `update dataalm.api_tokens set revoked_at = coalesce(revoked_at, now()) where id = $1
         returning (select name from dataalm.users where id = user_id) as user`,
        [id],
      );
      if (updated.rowCount === 0) throw new DataalmError('NOT_FOUND', `token ${id} does not exist`, { field: 'id' });
      await audit(client, actor, 'token.revoke', updated.rows[0]!.user, { token: id });
    });
  }

  /**
   * Failed sign-ins from one address within the window: of one user (since that user last
   * signed in from there or got a new password), or of anyone when `user` is null.
   */
  async failedSignIns(origin: string, user: string | null, windowSeconds: number): Promise<FailureCount> {
    const result = await this.#pool.query<{ n: string; since: number | null }>(
      `select count(*) as n, extract(epoch from now() - max(at))::float8 as since from dataalm.audit_log
        where action = 'login.failed' and origin = $1 and at > now() - make_interval(secs => $3)
          and ($2::text is null or (target = $2
            and at > coalesce((select max(at) from dataalm.audit_log
                                where target = $2 and (action = 'user.set-password' or (action = 'login' and origin = $1))), '-infinity')))`,
      [origin, user, windowSeconds],
    );
    return { failures: Number(result.rows[0]!.n), secondsSinceLast: result.rows[0]!.since };
  }

  async audit(actor: Actor, action: string, target: string | null, details: Record<string, unknown> = {}): Promise<void> {
    await audit(this.#pool, actor, action, target, details);
  }

  async listAudit(options: { limit: number; before?: number }): Promise<AuditEntry[]> {
    const rows = await this.#pool.query<{ id: string; at: Date; actor: string; origin: string; action: string; target: string | null; details: Record<string, unknown> }>(
      `select id, at, actor, origin, action, target, details from dataalm.audit_log
        where $2::bigint is null or id < $2 order by id desc limit $1`,
      [options.limit, options.before ?? null],
    );
    return rows.rows.map((r) => ({ id: Number(r.id), at: r.at.toISOString(), actor: r.actor, origin: r.origin, action: r.action, target: r.target, details: r.details }));
  }
}

async function audit(
  db: pg.Pool | pg.PoolClient,
  actor: Actor,
  action: string,
  target: string | null,
  details: Record<string, unknown>,
): Promise<void> {
  await db.query('insert into dataalm.audit_log (actor, origin, action, target, details) values ($1, $2, $3, $4, $5)', [
    actor.name,
    actor.origin,
    action,
    target,
    details,
  ]);
}

function toUser(row: UserRow): User {
  return { id: Number(row.id), name: row.name, role: row.role, createdAt: row.created_at.toISOString() };
}
