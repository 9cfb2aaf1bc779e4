import type { Actor } from '../../domain/actor.js';
import type pg from 'pg';
import { DataalmError } from '../../domain/errors/dataalm-error.js';
import type {
  DatabaseInfo,
  DatabaseRole,
  Environment,
  EnvironmentState,
  EnvironmentType,
  HistoryEntry,
  NewEnvironment,
} from '../../domain/environment.js';
import type { PendingAction } from '../../domain/asset.js';
import { parseConnectionUrl } from '../postgres/connection-url.js';
import type { SecretBox } from '../secrets/secret-box.js';

interface EnvironmentRow {
  id: string;
  name: string;
  type: EnvironmentType;
  tenant: string;
  administrator: string;
  application_release: string | null;
  platform_update: number | null;
  financial_reporting_version: string | null;
  retail: boolean;
  profile: string;
  document_storage: string | null;
  sync_command: string | null;
  state: EnvironmentState;
  components: Record<string, string>;
  pending_actions: PendingAction[];
  auto_reprovision: boolean;
  created_at: Date;
  updated_at: Date;
  databases: DatabaseInfo[] | null;
}

const SELECT_ENVIRONMENTS = `
  select e.*,
         (select json_agg(json_build_object('role', d.role, 'host', d.host, 'port', d.port,
                                            'database', d.database, 'user', d.username)
                          order by d.role)
            from dataalm.environment_databases d where d.environment_id = e.id) as databases
    from dataalm.environments e`;

/** Registry of environments in the control database; secrets go in and out sealed. */
export class EnvironmentStore {
  readonly #pool: pg.Pool;
  readonly #secrets: SecretBox;

  constructor(pool: pg.Pool, secrets: SecretBox) {
    this.#pool = pool;
    this.#secrets = secrets;
  }

  async list(): Promise<Environment[]> {
    const result = await this.#pool.query<EnvironmentRow>(`${SELECT_ENVIRONMENTS} order by e.name`);
    return result.rows.map(toEnvironment);
  }

  async find(name: string): Promise<Environment | undefined> {
    const result = await this.#pool.query<EnvironmentRow>(`${SELECT_ENVIRONMENTS} where e.name = $1`, [name]);
    const row = result.rows[0];
    return row ? toEnvironment(row) : undefined;
  }

  async get(name: string): Promise<Environment> {
    const found = await this.find(name);
    if (!found) {
      throw new DataalmError('NOT_FOUND', `environment "${name}" does not exist`, {
        field: 'name',
        remedy: 'dataalm env list shows the environments',
      });
    }
    return found;
  }

  async add(input: NewEnvironment, actor: Actor): Promise<Environment> {
    await inTransaction(this.#pool, async (client) => {
      const inserted = await client.query<{ id: string }>(
        `insert into dataalm.environments (name, type, tenant, administrator, application_release, platform_update,
                                           financial_reporting_version, retail, profile, document_storage, sync_command)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
         on conflict (name) do nothing
         returning id`,
        [
          input.name,
          input.type,
          input.tenant,
          input.administrator,
          input.applicationRelease,
          input.platformUpdate,
          input.financialReportingVersion,
          input.retail,
          input.profile,
          input.documentStorage,
          input.syncCommand,
        ],
      );
      const id = inserted.rows[0]?.id;
      if (id === undefined) {
        throw new DataalmError('ALREADY_EXISTS', `name: environment "${input.name}" already exists`, { field: 'name' });
      }
      for (const [role, url] of Object.entries(input.databaseUrls) as [DatabaseRole, string | undefined][]) {
        if (url === undefined) continue;
        const target = parseConnectionUrl(url, role);
        await client.query(
          `insert into dataalm.environment_databases (environment_id, role, host, port, database, username, secret)
           values ($1, $2, $3, $4, $5, $6, $7)`,
          [id, role, target.host, target.port, target.database, target.user, this.#secrets.seal(url, secretContext(input.name, role))],
        );
      }
      await client.query(
        `insert into dataalm.environment_history (environment_id, event, details) values ($1, 'registered', $2)`,
        [id, { type: input.type, actor: actor.name }],
      );
      await client.query(
        `insert into dataalm.audit_log (actor, origin, action, target, details) values ($1, $2, 'environment.add', $3, $4)`,
        [actor.name, actor.origin, input.name, { type: input.type }],
      );
    });
    return this.get(input.name);
  }

  async remove(name: string, actor: Actor): Promise<void> {
    await inTransaction(this.#pool, async (client) => {
      const busy = await client.query<{ id: string }>(
        `select o.id from dataalm.operations o join dataalm.environments e on e.id = o.environment_id
          where e.name = $1 and o.state in ('queued', 'running', 'rolling-back')`,
        [name],
      );
      if (busy.rows[0]) {
        throw new DataalmError('ALREADY_EXISTS', `environment "${name}" has operation ${busy.rows[0].id} running; it cannot be removed now`, {
          field: 'name',
          remedy: `wait for it to finish, or cancel it with: dataalm op cancel ${busy.rows[0].id}`,
        });
      }
      const deleted = await client.query('delete from dataalm.environments where name = $1', [name]);
      if (deleted.rowCount === 0) {
        throw new DataalmError('NOT_FOUND', `environment "${name}" does not exist`, { field: 'name' });
      }
      await client.query(
        `insert into dataalm.audit_log (actor, origin, action, target) values ($1, $2, 'environment.remove', $3)`,
        [actor.name, actor.origin, name],
      );
    });
  }

  /** Connection URLs with passwords. Callers decide who may see them (see app/). */
  async connectionUrls(name: string): Promise<Partial<Record<DatabaseRole, string>>> {
    const result = await this.#pool.query<{ role: DatabaseRole; secret: Buffer }>(
      `select d.role, d.secret from dataalm.environment_databases d
         join dataalm.environments e on e.id = d.environment_id where e.name = $1`,
      [name],
    );
    return Object.fromEntries(result.rows.map((r) => [r.role, this.#secrets.open(r.secret, secretContext(name, r.role))]));
  }

  async history(name: string): Promise<HistoryEntry[]> {
    const result = await this.#pool.query<{ at: Date; event: string; details: Record<string, unknown> }>(
      `select h.at, h.event, h.details from dataalm.environment_history h
         join dataalm.environments e on e.id = h.environment_id where e.name = $1 order by h.at, h.id`,
      [name],
    );
    return result.rows.map((r) => ({ at: r.at.toISOString(), event: r.event, details: r.details }));
  }

  async addHistory(name: string, event: string, details: Record<string, unknown>): Promise<void> {
    await this.#pool.query(
      `insert into dataalm.environment_history (environment_id, event, details)
       select id, $2, $3 from dataalm.environments where name = $1`,
      [name, event, details],
    );
  }

  async setState(name: string, state: EnvironmentState): Promise<void> {
    await this.#pool.query('update dataalm.environments set state = $2, updated_at = now() where name = $1', [name, state]);
  }

  /** Changes the synchronize command (null removes it). */
  async setSyncCommand(name: string, command: string | null, actor: Actor): Promise<void> {
    await inTransaction(this.#pool, async (client) => {
      const updated = await client.query('update dataalm.environments set sync_command = $2, updated_at = now() where name = $1', [name, command]);
      if (updated.rowCount === 0) throw new DataalmError('NOT_FOUND', `environment "${name}" does not exist`, { field: 'name' });
      await client.query(`insert into dataalm.audit_log (actor, origin, action, target, details) values ($1, $2, 'environment.set', $3, $4)`, [
        actor.name,
        actor.origin,
        name,
        { syncCommand: command !== null },
      ]);
      await client.query(
        `insert into dataalm.environment_history (environment_id, event, details)
         select id, 'synchronize command changed', $2 from dataalm.environments where name = $1`,
        [name, { actor: actor.name }],
      );
    });
  }

  /**
   * Sets the versions a package names, in one transaction with the history entry: the
   * three registered versions and any other component.
   */
  async setVersions(
    name: string,
    sets: { applicationRelease?: string; platformUpdate?: number; financialReportingVersion?: string; components?: Record<string, string> },
    history?: { event: string; details: Record<string, unknown> },
  ): Promise<void> {
    await inTransaction(this.#pool, async (client) => {
      await client.query(
        `update dataalm.environments
            set application_release = coalesce($2, application_release),
                platform_update = coalesce($3, platform_update),
                financial_reporting_version = coalesce($4, financial_reporting_version),
                components = components || $5::jsonb,
                updated_at = now()
          where name = $1`,
        [name, sets.applicationRelease ?? null, sets.platformUpdate ?? null, sets.financialReportingVersion ?? null, sets.components ?? {}],
      );
      if (history) {
        await client.query(
          `insert into dataalm.environment_history (environment_id, event, details) select id, $2, $3 from dataalm.environments where name = $1`,
          [name, history.event, history.details],
        );
      }
    });
  }

  /** Adds a pending action, replacing one with the same code. */
  async addPendingAction(name: string, action: PendingAction): Promise<void> {
    await this.#pool.query(
      `update dataalm.environments
          set pending_actions = (select coalesce(jsonb_agg(a), '[]') from jsonb_array_elements(pending_actions) a where a->>'code' <> $2) || $3::jsonb
        where name = $1`,
      [name, action.code, JSON.stringify([action])],
    );
  }

  /** Removes the pending actions with this code; true when there was one. */
  async clearPendingAction(name: string, code: string): Promise<boolean> {
    const result = await this.#pool.query(
      `update dataalm.environments
          set pending_actions = (select coalesce(jsonb_agg(a), '[]') from jsonb_array_elements(pending_actions) a where a->>'code' <> $2)
        where name = $1 and pending_actions @> jsonb_build_array(jsonb_build_object('code', $2::text))`,
      [name, code],
    );
    return (result.rowCount ?? 0) > 0;
  }

  /** Removes the pending actions an operation left (when it is rolled back or its state restored). */
  async clearPendingActionsOf(name: string, operation: number): Promise<void> {
    await this.#pool.query(
      `update dataalm.environments
          set pending_actions = (select coalesce(jsonb_agg(a), '[]') from jsonb_array_elements(pending_actions) a where (a->>'operation')::bigint is distinct from $2)
        where name = $1`,
      [name, operation],
    );
  }

  /**
   * Changes what a person registered (checked by the caller as a new environment is): its
   * tenant, administrator, document storage, synchronize command and database connections
   * (given ones replace; sealed as on add). Audited with the names of the fields changed, never
   * their values. Refused while an operation runs on it.
   */
  async update(
    name: string,
    change: Pick<NewEnvironment, 'tenant' | 'administrator' | 'documentStorage' | 'syncCommand'> & { databaseUrls: Partial<Record<DatabaseRole, string>> },
    changed: readonly string[],
    actor: Actor,
  ): Promise<Environment> {
    await inTransaction(this.#pool, async (client) => {
      const found = await client.query<{ id: string; busy: string | null }>(
        `select e.id, (select o.id from dataalm.operations o where o.environment_id = e.id and o.state in ('queued', 'running', 'rolling-back') limit 1) as busy
           from dataalm.environments e where e.name = $1 for update`,
        [name],
      );
      const row = found.rows[0];
      if (!row) throw new DataalmError('NOT_FOUND', `environment "${name}" does not exist`, { field: 'name' });
      if (row.busy !== null) {
        throw new DataalmError('ALREADY_EXISTS', `environment "${name}" has operation ${row.busy} running; it cannot be changed now`, {
          field: 'name',
          remedy: 'wait for it to finish, then change the environment',
        });
      }
      await client.query(
        `update dataalm.environments set tenant = $2, administrator = $3, document_storage = $4, sync_command = $5, updated_at = now() where id = $1`,
        [row.id, change.tenant, change.administrator, change.documentStorage, change.syncCommand],
      );
      for (const [role, url] of Object.entries(change.databaseUrls) as [DatabaseRole, string | undefined][]) {
        if (url === undefined) continue;
        const target = parseConnectionUrl(url, role);
        await client.query(
          `insert into dataalm.environment_databases (environment_id, role, host, port, database, username, secret)
           values ($1, $2, $3, $4, $5, $6, $7)
           on conflict (environment_id, role) do update
             set host = excluded.host, port = excluded.port, database = excluded.database, username = excluded.username, secret = excluded.secret`,
          [row.id, role, target.host, target.port, target.database, target.user, this.#secrets.seal(url, secretContext(name, role))],
        );
      }
      await client.query(`insert into dataalm.environment_history (environment_id, event, details) values ($1, 'registration changed', $2)`, [
        row.id,
        { actor: actor.name, fields: changed },
      ]);
      await client.query(`insert into dataalm.audit_log (actor, origin, action, target, details) values ($1, $2, 'environment.change', $3, $4)`, [
        actor.name,
        actor.origin,
        name,
        { fields: changed },
      ]);
    });
    return this.get(name);
  }

  /** Whether a retail refresh runs the reprovisioning tool itself. */
  async setAutoReprovision(name: string, on: boolean, actor: Actor): Promise<void> {
    await inTransaction(this.#pool, async (client) => {
      const updated = await client.query('update dataalm.environments set auto_reprovision = $2, updated_at = now() where name = $1', [name, on]);
      if (updated.rowCount === 0) throw new DataalmError('NOT_FOUND', `environment "${name}" does not exist`, { field: 'name' });
      await client.query(`insert into dataalm.audit_log (actor, origin, action, target, details) values ($1, $2, 'environment.set', $3, $4)`, [
        actor.name,
        actor.origin,
        name,
        { autoReprovision: on },
      ]);
      await client.query(
        `insert into dataalm.environment_history (environment_id, event, details)
         select id, $2, $3 from dataalm.environments where name = $1`,
        [name, `reprovisioning after a retail refresh: ${on ? 'automatic' : 'by hand'}`, { actor: actor.name }],
      );
    });
  }

  async audit(actor: Actor, action: string, target: string | null, details: Record<string, unknown> = {}): Promise<void> {
    await this.#pool.query('insert into dataalm.audit_log (actor, origin, action, target, details) values ($1, $2, $3, $4, $5)', [
      actor.name,
      actor.origin,
      action,
      target,
      details,
    ]);
  }
}

/** Runs `work` in one transaction on one pooled connection; rolls back on any error. */
export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    const result = await work(client);
    await client.query('commit');
    return result;
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
}

function secretContext(name: string, role: DatabaseRole): string {
  return `environment:${name}:${role}`;
}

function toEnvironment(row: EnvironmentRow): Environment {
  return {
    name: row.name,
    type: row.type,
    tenant: row.tenant,
    administrator: row.administrator,
    applicationRelease: row.application_release,
    platformUpdate: row.platform_update,
    financialReportingVersion: row.financial_reporting_version,
    retail: row.retail,
    profile: row.profile,
    documentStorage: row.document_storage,
    syncCommand: row.sync_command,
    state: row.state,
    components: row.components,
    pendingActions: row.pending_actions,
    autoReprovision: row.auto_reprovision,
    databases: row.databases ?? [],
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}
