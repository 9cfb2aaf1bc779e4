import type pg from 'pg';
import { type Actor, SYSTEM_ACTOR } from '../../domain/actor.js';
import { DataalmError } from '../../domain/errors/dataalm-error.js';
import { type MirrorRecord, type MirrorSpare, type MirrorState, type MirrorTables, NO_TABLES } from '../../domain/mirror.js';
import { ACTIVE_STATES } from '../../domain/operation.js';
import { inTransaction } from './environment-store.js';

interface MirrorRow {
  environment: string;
  source: string;
  state: MirrorState;
  database: string;
  publication: string;
  slot: string;
  subscription: string;
  max_lag_bytes: string;
  schema_fingerprint: string | null;
  profile_fingerprint: string;
  tables: MirrorTables;
  paused_by: string | null;
  spare_wanted: boolean;
  spare: MirrorSpare | null;
  seeded_at: Date | null;
  warned_at: Date | null;
  last_error: string | null;
  created_by: string;
  updated_at: Date;
}

const SELECT = `
  select e.name as environment, s.name as source, m.state, m.database, m.publication, m.slot, m.subscription,
         m.max_lag_bytes, m.schema_fingerprint, m.profile_fingerprint, m.tables, m.paused_by, m.spare_wanted, m.spare, m.seeded_at,
         m.warned_at, m.last_error, m.created_by, m.updated_at
    from dataalm.mirrors m
    join dataalm.environments e on e.id = m.environment_id
    join dataalm.environments s on s.id = m.source_id`;

export interface NewMirror {
  readonly environment: string;
  readonly source: string;
  readonly database: string;
  readonly publication: string;
  readonly slot: string;
  readonly subscription: string;
  readonly maxLagBytes: number;
  readonly profileFingerprint: string;
  readonly spareWanted: boolean;
}

/** Mirrors, one per target environment; every change of state is audited and in the environment's history. */
export class MirrorStore {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async find(environment: string): Promise<MirrorRecord | undefined> {
    const result = await this.#pool.query<MirrorRow>(`${SELECT} where e.name = $1`, [environment]);
    return result.rows[0] && toRecord(result.rows[0]);
  }

  async list(): Promise<MirrorRecord[]> {
    const result = await this.#pool.query<MirrorRow>(`${SELECT} order by e.name`);
    return result.rows.map(toRecord);
  }

  /**
   * Records a mirror being set up (state seeding), before anything is created, so that what
   * a failure leaves can be found and removed. ALREADY_EXISTS when the target has one.
   */
  async create(mirror: NewMirror, actor: Actor): Promise<MirrorRecord> {
    await inTransaction(this.#pool, async (client) => {
      const ids = await client.query<{ name: string; id: string }>('select name, id from dataalm.environments where name = any($1) for update', [
        [mirror.environment, mirror.source],
      ]);
      const id = (name: string) => ids.rows.find((r) => r.name === name)?.id;
      for (const name of [mirror.environment, mirror.source]) {
        if (!id(name)) throw new DataalmError('NOT_FOUND', `environment "${name}" does not exist`, { field: name === mirror.source ? 'source' : 'name' });
      }
      const inserted = await client.query(
        `insert into dataalm.mirrors (environment_id, source_id, state, database, publication, slot, subscription, max_lag_bytes, profile_fingerprint, spare_wanted, created_by)
         values ($1, $2, 'seeding', $3, $4, $5, $6, $7, $8, $9, $10) on conflict (environment_id) do nothing`,
        [id(mirror.environment), id(mirror.source), mirror.database, mirror.publication, mirror.slot, mirror.subscription, mirror.maxLagBytes, mirror.profileFingerprint, mirror.spareWanted, actor.name],
      );
      if (inserted.rowCount === 0) {
        throw new DataalmError('ALREADY_EXISTS', `${mirror.environment} already has a mirror`, {
          field: 'name',
          remedy: `dataalm env mirror status ${mirror.environment} shows it; dataalm env mirror resync ${mirror.environment} seeds it again`,
        });
      }
      await audit(client, actor, 'environment.mirror-enable', mirror.environment, { source: mirror.source, maxLagBytes: mirror.maxLagBytes, spare: mirror.spareWanted }, id(mirror.environment)!, `mirror of ${mirror.source} being enabled`);
    });
    return (await this.find(mirror.environment))!;
  }

  /** The seed is in and the subscription runs. */
  async seeded(environment: string, details: { schemaFingerprint: string; tables: MirrorTables }): Promise<void> {
    await this.#pool.query(
      `update dataalm.mirrors m set state = 'streaming', schema_fingerprint = $2, tables = $3, seeded_at = now(), last_error = null,
              warned_at = null, paused_by = null, spare = null, updated_at = now()
         from dataalm.environments e where e.id = m.environment_id and e.name = $1`,
      [environment, details.schemaFingerprint, JSON.stringify(details.tables)],
    );
  }

  /** Failed or dropped, with why; audited as the system's (or the actor's) doing. */
  async setState(environment: string, state: MirrorState, reason: string | null, actor?: Actor): Promise<void> {
    await inTransaction(this.#pool, async (client) => {
      const found = await client.query<{ id: string }>(
        `update dataalm.mirrors m set state = $2, last_error = $3, paused_by = null,
                spare = case when $2 = 'streaming' then m.spare end, updated_at = now()
           from dataalm.environments e where e.id = m.environment_id and e.name = $1 returning m.environment_id as id`,
        [environment, state, reason],
      );
      const id = found.rows[0]?.id;
      if (id && state !== 'streaming') {
        await audit(client, actor ?? SYSTEM_ACTOR, `environment.mirror-${state}`, environment, { reason }, id, `mirror ${state}${reason ? `: ${reason}` : ''}`);
      }
    });
  }

  async setWarned(environment: string, warned: boolean): Promise<void> {
    await this.#pool.query(
      `update dataalm.mirrors m set warned_at = case when $2 then coalesce(warned_at, now()) end
         from dataalm.environments e where e.id = m.environment_id and e.name = $1`,
      [environment, warned],
    );
  }

  /** The refresh `operationId` paused the subscription (null: resumed). */
  async setPausedBy(environment: string, operationId: number | null): Promise<void> {
    await this.#pool.query(
      `update dataalm.mirrors m set paused_by = $2 from dataalm.environments e where e.id = m.environment_id and e.name = $1`,
      [environment, operationId],
    );
  }

  /**
   * `by` (a refresh's operation id, or SPARE_BUILD) is about to pause the subscription: true
   * when nobody else has it paused. A refresh and a spare's making never pause it at once.
   */
  async claimPause(environment: string, by: number): Promise<boolean> {
    const result = await this.#pool.query(
      `update dataalm.mirrors m set paused_by = $2 from dataalm.environments e
        where e.id = m.environment_id and e.name = $1 and m.state = 'streaming' and (m.paused_by is null or m.paused_by = $2)`,
      [environment, by],
    );
    return result.rowCount === 1;
  }

  /**
   * This process makes the spare: true when the mirror streams, wants one, and has none, or
   * one that failed `retrySeconds` ago, or one whose making went silent `staleSeconds` ago, or
   * one a refresh took that has ended (until then its database may still be being renamed:
   * the new spare takes its name).
   */
  async claimSpareBuild(environment: string, retrySeconds: number, staleSeconds: number): Promise<boolean> {
    const result = await this.#pool.query(
      `update dataalm.mirrors m set spare = jsonb_build_object('state', 'building', 'at', now())
         from dataalm.environments e
        where e.id = m.environment_id and e.name = $1 and m.state = 'streaming' and m.spare_wanted
          and (m.spare is null
               or (m.spare->>'state' = 'failed' and (m.spare->>'at')::timestamptz < now() - make_interval(secs => $2))
               or (m.spare->>'state' = 'building' and (m.spare->>'at')::timestamptz < now() - make_interval(secs => $3))
               or (m.spare->>'state' = 'taken' and not exists (
                     select 1 from dataalm.operations o where o.id = (m.spare->>'by')::bigint and o.state = any($4::text[]))))`,
      [environment, retrySeconds, staleSeconds, ACTIVE_STATES],
    );
    return result.rowCount === 1;
  }

  /** The spare's making ended: ready, or failed with why. False when the mirror was taken down (or its spare turned off) meanwhile. */
  async spareMade(environment: string, error: string | null): Promise<boolean> {
    const result = await this.#pool.query(
      `update dataalm.mirrors m set spare = jsonb_strip_nulls(jsonb_build_object('state', case when $2::text is null then 'ready' else 'failed' end, 'at', now(), 'error', $2::text))
         from dataalm.environments e where e.id = m.environment_id and e.name = $1 and m.spare->>'state' = 'building' and m.state = 'streaming'`,
      [environment, error],
    );
    return result.rowCount === 1;
  }

  /** The refresh `operationId` takes the ready spare: true when it was ready (it is the refresh's from now on). */
  async takeSpare(environment: string, operationId: number): Promise<boolean> {
    const result = await this.#pool.query(
      `update dataalm.mirrors m set spare = jsonb_build_object('state', 'taken', 'at', now(), 'by', $2::bigint) from dataalm.environments e
        where e.id = m.environment_id and e.name = $1 and m.state = 'streaming' and m.spare->>'state' = 'ready'`,
      [environment, operationId],
    );
    return result.rowCount === 1;
  }

  /** Whether a spare is kept beside the mirror from now on (audited when it changes). False when the target has no mirror. */
  async setSpareWanted(environment: string, wanted: boolean, actor: Actor): Promise<boolean> {
    return inTransaction(this.#pool, async (client) => {
      const found = await client.query<{ id: string; was: boolean }>(
        `select m.environment_id as id, m.spare_wanted as was from dataalm.mirrors m join dataalm.environments e on e.id = m.environment_id where e.name = $1 for update of m`,
        [environment],
      );
      const id = found.rows[0]?.id;
      if (!id) return false;
      if (found.rows[0]!.was === wanted) return true;
      await client.query('update dataalm.mirrors set spare_wanted = $2 where environment_id = $1', [id, wanted]);
      await audit(client, actor, 'environment.mirror-spare', environment, { spare: wanted }, id, wanted ? "the mirror keeps a spare" : 'the mirror keeps no spare');
      return true;
    });
  }

  /** The spare was taken down (the mirror's lag watch, a teardown): none recorded. */
  async forgetSpare(environment: string, error: string | null = null): Promise<void> {
    await this.#pool.query(
      `update dataalm.mirrors m set spare = case when $2::text is null then null else jsonb_build_object('state', 'failed', 'at', now(), 'error', $2::text) end
         from dataalm.environments e where e.id = m.environment_id and e.name = $1`,
      [environment, error],
    );
  }

  /** A seed in progress says it is alive (see SEED_STALE_SECONDS in the mirror service). */
  async touch(environment: string): Promise<void> {
    await this.#pool.query(
      `update dataalm.mirrors m set updated_at = now() from dataalm.environments e where e.id = m.environment_id and e.name = $1 and m.state = 'seeding'`,
      [environment],
    );
  }

  /** Seconds since the record last changed (or a seed last said it is alive). */
  async idleSeconds(environment: string): Promise<number | undefined> {
    const result = await this.#pool.query<{ s: number }>(
      `select extract(epoch from now() - m.updated_at)::float8 as s from dataalm.mirrors m join dataalm.environments e on e.id = m.environment_id where e.name = $1`,
      [environment],
    );
    return result.rows[0]?.s;
  }

  /**
   * Forgets the mirror once everything it had was removed; audited as `action`
   * (environment.mirror-disable, or environment.mirror-failed for a seed that failed and left nothing).
   */
  async remove(environment: string, actor: Actor, details: Record<string, unknown>, action = 'environment.mirror-disable'): Promise<void> {
    await inTransaction(this.#pool, async (client) => {
      const found = await client.query<{ id: string }>(
        `delete from dataalm.mirrors m using dataalm.environments e where e.id = m.environment_id and e.name = $1 returning m.environment_id as id`,
        [environment],
      );
      const id = found.rows[0]?.id;
      if (id) await audit(client, actor, action, environment, details, id, action === 'environment.mirror-disable' ? 'mirror disabled' : 'mirror could not be set up');
    });
  }
}

async function audit(client: pg.ClientBase, actor: Actor, action: string, target: string, details: Record<string, unknown>, environmentId: string, event: string): Promise<void> {
  await client.query(`insert into dataalm.audit_log (actor, origin, action, target, details) values ($1, $2, $3, $4, $5)`, [actor.name, actor.origin, action, target, details]);
  await client.query(`insert into dataalm.environment_history (environment_id, event, details) values ($1, $2, $3)`, [environmentId, event, { actor: actor.name, ...details }]);
}

function toRecord(row: MirrorRow): MirrorRecord {
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  return {
    environment: row.environment,
    source: row.source,
    state: row.state,
    database: row.database,
    publication: row.publication,
    slot: row.slot,
    subscription: row.subscription,
    maxLagBytes: Number(row.max_lag_bytes),
    schemaFingerprint: row.schema_fingerprint,
    profileFingerprint: row.profile_fingerprint,
    tables: { ...NO_TABLES, ...row.tables },
    pausedBy: row.paused_by === null ? null : Number(row.paused_by),
    spareWanted: row.spare_wanted,
    spare: row.spare,
    seededAt: iso(row.seeded_at),
    warnedAt: iso(row.warned_at),
    lastError: row.last_error,
    createdBy: row.created_by,
    updatedAt: row.updated_at.toISOString(),
  };
}
