import type { Actor } from '../../domain/actor.js';
import type pg from 'pg';
import { DataalmError, RefusedError } from '../../domain/errors/dataalm-error.js';
import type { DatabaseRole } from '../../domain/environment.js';
import {
  ACTIVE_STATES,
  type Breadcrumb,
  type LogLine,
  type Operation,
  type OperationDatabase,
  type OperationError,
  type OperationKind,
  type OperationState,
  type StepName,
  type StepStatus,
  type VerificationReport,
} from '../../domain/operation.js';
import { redactSecrets } from '../../domain/redaction.js';
import { busyReason } from '../../domain/preflight/busy-reason.js';
import { inTransaction } from './environment-store.js';
import { type OperationRow, SELECT_OPERATIONS, toOperation } from './operation-rows.js';

export type { Breadcrumb } from '../../domain/operation.js';

export interface NewOperation {
  readonly kind: OperationKind;
  readonly environment: string;
  readonly source: string | null;
  readonly restoresOperation?: number;
  readonly options: Record<string, unknown>;
  readonly steps: readonly StepName[];
  readonly actor: Actor;
}


/** Operations, their steps, runbook log and breadcrumbs in the control database. */
export class OperationStore {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  /**
   * Queues an operation with its steps. The database allows one active operation per
   * target (a partial unique index), so two processes asking at once cannot both win.
   */
  async create(input: NewOperation): Promise<number> {
    try {
      return await inTransaction(this.#pool, async (client) => {
        const inserted = await client.query<{ id: string }>(
          `insert into dataalm.operations (kind, environment_id, source_environment_id, restores_operation_id, requested_by, options)
           select $1, t.id, s.id, $4, $5, $6
             from dataalm.environments t left join dataalm.environments s on s.name = $3
            where t.name = $2
           returning id`,
          [input.kind, input.environment, input.source, input.restoresOperation ?? null, input.actor.name, input.options],
        );
        const id = inserted.rows[0]?.id;
        if (id === undefined) throw new DataalmError('NOT_FOUND', `environment "${input.environment}" does not exist`);
        await client.query(
          `insert into dataalm.operation_steps (operation_id, position, name)
           select $1, p, n from unnest($2::text[]) with ordinality as s(n, p)`,
          [id, input.steps],
        );
        await client.query(
          `insert into dataalm.audit_log (actor, origin, action, target, details) values ($1, $2, $3, $4, $5)`,
          [input.actor.name, input.actor.origin, `operation.${input.kind}`, input.environment, { operation: Number(id), source: input.source }],
        );
        return Number(id);
      });
    } catch (error) {
      if ((error as { code?: string }).code !== '23505') throw error;
      throw new RefusedError([busyReason(input.environment, await this.activeOn(input.environment))]);
    }
  }

  async find(id: number): Promise<Operation | undefined> {
    const result = await this.#pool.query<OperationRow>(`${SELECT_OPERATIONS} where o.id = $1`, [id]);
    const row = result.rows[0];
    return row ? toOperation(row) : undefined;
  }

  async get(id: number): Promise<Operation> {
    const found = await this.find(id);
    if (!found) throw new DataalmError('NOT_FOUND', `operation ${id} does not exist`, { field: 'id', remedy: 'dataalm op list shows the operations' });
    return found;
  }

  async list(filter: { environment?: string; limit?: number } = {}): Promise<Operation[]> {
    const result = await this.#pool.query<OperationRow>(
      `${SELECT_OPERATIONS} where ($1::text is null or t.name = $1) order by o.id desc limit $2`,
      [filter.environment ?? null, filter.limit ?? 50],
    );
    return result.rows.map(toOperation);
  }

  /** An active refresh that is copying from this environment, if any. */
  async activeFrom(environment: string): Promise<{ id: number; kind: string; state: string } | undefined> {
    const result = await this.#pool.query<{ id: string; kind: string; state: string }>(
      `select o.id, o.kind, o.state from dataalm.operations o join dataalm.environments s on s.id = o.source_environment_id
        where s.name = $1 and o.state in ('queued', 'running') and o.cutover_at is null limit 1`,
      [environment],
    );
    const row = result.rows[0];
    return row ? { id: Number(row.id), kind: row.kind, state: row.state } : undefined;
  }

  /** The operation that holds an environment as its target, if any. */
  async activeOn(environment: string): Promise<{ id: number; kind: string; state: string } | undefined> {
    const result = await this.#pool.query<{ id: string; kind: string; state: string }>(
      `select o.id, o.kind, o.state from dataalm.operations o join dataalm.environments t on t.id = o.environment_id
        where t.name = $1 and o.state = any($2::text[])`,
      [environment, ACTIVE_STATES],
    );
    const row = result.rows[0];
    return row ? { id: Number(row.id), kind: row.kind, state: row.state } : undefined;
  }

  /** Moves an operation from one of `from` to `to`; false if it was in another state. */
  async transition(id: number, from: readonly OperationState[], to: OperationState, fields: { worker?: string; error?: OperationError | null } = {}): Promise<boolean> {
    try {
      const result = await this.#pool.query(
        `update dataalm.operations
            set state = $3,
                started_at = case when $3 = 'running' then coalesce(started_at, now()) else started_at end,
                finished_at = case when $3 in ('succeeded', 'failed', 'canceled', 'rolled-back') then now() else null end,
                worker = coalesce($4, worker),
                heartbeat_at = now(),
                error = case when $6 then $5::jsonb else error end
          where id = $1 and state = any($2::text[])`,
        [id, from, to, fields.worker ?? null, fields.error === undefined ? null : JSON.stringify(fields.error), fields.error !== undefined],
      );
      return result.rowCount === 1;
    } catch (error) {
      // Back to an active state while another operation holds the target.
      if ((error as { code?: string }).code === '23505') return false;
      throw error;
    }
  }

  /** False when the operation is no longer this worker's (it was ended as abandoned). */
  /**
   * A failed operation becomes rolling-back, held by no process yet: the process that asked
   * claims it (claimRollback) or a worker does. False when it is not failed, or when another
   * operation holds the target meanwhile.
   */
  async requestRollback(id: number): Promise<boolean> {
    try {
      const result = await this.#pool.query(
        `update dataalm.operations set state = 'rolling-back', worker = null, heartbeat_at = now(), finished_at = null
          where id = $1 and state = 'failed'`,
        [id],
      );
      return result.rowCount === 1;
    } catch (error) {
      if ((error as { code?: string }).code === '23505') return false;
      throw error;
    }
  }

  /** Takes a requested rollback that no process holds yet. */
  async claimRollback(id: number, worker: string): Promise<boolean> {
    const result = await this.#pool.query(
      `update dataalm.operations set worker = $2, heartbeat_at = now() where id = $1 and state = 'rolling-back' and worker is null`,
      [id, worker],
    );
    return result.rowCount === 1;
  }

  async heartbeat(id: number, worker: string): Promise<boolean> {
    const result = await this.#pool.query(
      `update dataalm.operations set heartbeat_at = now() where id = $1 and worker = $2 and state in ('running', 'rolling-back')`,
      [id, worker],
    );
    return result.rowCount === 1;
  }

  async isCancelRequested(id: number): Promise<boolean> {
    const result = await this.#pool.query<{ c: boolean }>('select cancel_requested as c from dataalm.operations where id = $1', [id]);
    return result.rows[0]?.c === true;
  }

  /** Asks a running operation to stop; false when it has already cut over or ended. */
  async requestCancel(id: number): Promise<boolean> {
    const result = await this.#pool.query(
      `update dataalm.operations set cancel_requested = true
        where id = $1 and state in ('queued', 'running') and cutover_started_at is null`,
      [id],
    );
    return result.rowCount === 1;
  }

  /** The point of no cancel: false when a cancel was requested first. */
  async beginCutover(id: number, worker: string): Promise<boolean> {
    const result = await this.#pool.query(
      `update dataalm.operations set cutover_started_at = coalesce(cutover_started_at, now())
        where id = $1 and not cancel_requested and state = 'running' and worker = $2`,
      [id, worker],
    );
    return result.rowCount === 1;
  }

  async setDatabases(id: number, databases: Record<string, OperationDatabase>): Promise<void> {
    await this.#pool.query('update dataalm.operations set databases = $2 where id = $1', [id, databases]);
  }

  async setVerification(id: number, report: VerificationReport): Promise<void> {
    await this.#pool.query('update dataalm.operations set verification = $2 where id = $1', [id, report]);
  }

  async stepStarted(id: number, name: string): Promise<void> {
    await this.#pool.query(
      `update dataalm.operation_steps set status = 'running', started_at = now(), finished_at = null, attempts = attempts + 1
        where operation_id = $1 and name = $2`,
      [id, name],
    );
  }

  async stepFinished(id: number, name: string, status: StepStatus, counters?: Record<string, unknown>): Promise<void> {
    await this.#pool.query(
      `update dataalm.operation_steps set status = $3, finished_at = now(), counters = counters || coalesce($4::jsonb, '{}')
        where operation_id = $1 and name = $2`,
      [id, name, status, counters === undefined ? null : JSON.stringify(counters)],
    );
  }

  async stepCounters(id: number, name: string, counters: Record<string, unknown>): Promise<void> {
    await this.#pool.query(
      `update dataalm.operation_steps set counters = counters || $3::jsonb where operation_id = $1 and name = $2`,
      [id, name, JSON.stringify(counters)],
    );
  }

  /** Marks every step not yet finished with `status` (after a failure or a cancel). */
  async closeOpenSteps(id: number, status: StepStatus): Promise<void> {
    await this.#pool.query(
      `update dataalm.operation_steps
          set status = case when status = 'running' then $2 else 'skipped' end,
              finished_at = case when status = 'running' then now() else finished_at end
        where operation_id = $1 and status in ('pending', 'running')`,
      [id, status],
    );
  }

  /** Every runbook log line passes here: secret-looking values are hidden whoever wrote it. */
  async log(id: number, step: string | null, level: LogLine['level'], message: string, data?: Record<string, unknown>): Promise<void> {
    const values = [id, step, level, redactSecrets(message), data ?? null];
    await this.#pool.query('insert into dataalm.operation_log (operation_id, step, level, message, data) values ($1, $2, $3, $4, $5)', values);
  }

  /** Log lines after the one with id `after` (0: from the first), and the id of the last. */
  async logsAfter(id: number, after: number): Promise<{ lines: LogLine[]; last: number }> {
    const result = await this.#pool.query<{ id: string; at: Date; step: string | null; level: LogLine['level']; message: string; data: Record<string, unknown> | null }>(
      'select id, at, step, level, message, data from dataalm.operation_log where operation_id = $1 and id > $2 order by id',
      [id, after],
    );
    return {
      lines: result.rows.map((r) => ({ at: r.at.toISOString(), step: r.step, level: r.level, message: r.message, data: r.data })),
      last: result.rows.length > 0 ? Number(result.rows.at(-1)!.id) : after,
    };
  }

  async logs(id: number): Promise<LogLine[]> {
    const result = await this.#pool.query<{ at: Date; step: string | null; level: LogLine['level']; message: string; data: Record<string, unknown> | null }>(
      'select at, step, level, message, data from dataalm.operation_log where operation_id = $1 order by id',
      [id],
    );
    return result.rows.map((r) => ({ at: r.at.toISOString(), step: r.step, level: r.level, message: r.message, data: r.data }));
  }

  /**
   * Records a finished cutover and the breadcrumbs it left, in one transaction with the
   * operation's cutover time, so the control data never loses track of a renamed database.
   */
  async recordCutoverIntent(id: number, breadcrumbs: readonly { role: DatabaseRole; database: string; replaced: string }[], retentionSeconds: number): Promise<void> {
    await inTransaction(this.#pool, async (client) => {
      await client.query(`delete from dataalm.breadcrumbs where operation_id = $1 and state = 'pending'`, [id]);
      for (const b of breadcrumbs) {
        await client.query(
          `insert into dataalm.breadcrumbs (operation_id, role, environment_id, database, replaced, expires_at, state)
           select $1, $2, environment_id, $3, $4, now() + make_interval(secs => $5), 'pending' from dataalm.operations where id = $1`,
          [id, b.role, b.database, b.replaced, retentionSeconds],
        );
      }
    });
  }

  /** The swap happened: the operation's cutover time and window, and its breadcrumbs kept. */
  async recordCutover(id: number, offlineMs: number | null): Promise<void> {
    await inTransaction(this.#pool, async (client) => {
      await client.query('update dataalm.operations set cutover_at = now(), offline_ms = $2 where id = $1', [id, offlineMs === null ? null : Math.round(offlineMs)]);
      await client.query(`update dataalm.breadcrumbs set state = 'kept' where operation_id = $1 and state = 'pending'`, [id]);
      // A restore has put the breadcrumbs it restored back in service.
      await client.query(
        `update dataalm.breadcrumbs b set state = 'restored'
           from dataalm.operations o
          where o.id = $1 and o.kind = 'restore' and b.operation_id = o.restores_operation_id and b.state = 'kept'
            and b.role in (select role from dataalm.breadcrumbs where operation_id = $1)`,
        [id],
      );
    });
  }

  /** Forgets one breadcrumb written for a cutover that did not swap that database. */
  async discardBreadcrumb(id: number, role: DatabaseRole): Promise<void> {
    await this.#pool.query(`delete from dataalm.breadcrumbs where operation_id = $1 and role = $2 and state = 'pending'`, [id, role]);
  }

  /** After a rollback swapped them back: the operation's breadcrumbs are live again. */
  async markBreadcrumbsRestored(id: number): Promise<void> {
    await this.#pool.query(`update dataalm.breadcrumbs set state = 'restored' where operation_id = $1 and state = 'kept'`, [id]);
  }

  async breadcrumbs(filter: { environment?: string; operation?: number; state?: Breadcrumb['state'] } = {}): Promise<Breadcrumb[]> {
    const result = await this.#pool.query<{
      operation_id: string;
      role: DatabaseRole;
      environment: string;
      database: string;
      replaced: string;
      created_at: Date;
      expires_at: Date;
      state: Breadcrumb['state'];
    }>(
      `select b.*, e.name as environment from dataalm.breadcrumbs b join dataalm.environments e on e.id = b.environment_id
        where ($1::text is null or e.name = $1) and ($2::bigint is null or b.operation_id = $2) and ($3::text is null or b.state = $3)
        order by b.operation_id desc, b.role`,
      [filter.environment ?? null, filter.operation ?? null, filter.state ?? null],
    );
    return result.rows.map((r) => ({
      operationId: Number(r.operation_id),
      role: r.role,
      environment: r.environment,
      database: r.database,
      replaced: r.replaced,
      createdAt: r.created_at.toISOString(),
      expiresAt: r.expires_at.toISOString(),
      state: r.state,
    }));
  }

  async setBreadcrumbState(operationId: number, role: DatabaseRole, state: Breadcrumb['state']): Promise<void> {
    await this.#pool.query('update dataalm.breadcrumbs set state = $3 where operation_id = $1 and role = $2', [operationId, role, state]);
  }

  /** The newest operation on the environment that swapped its databases and was not undone. */
  async lastCutover(environment: string): Promise<number | undefined> {
    const result = await this.#pool.query<{ id: string }>(
      `select o.id from dataalm.operations o join dataalm.environments e on e.id = o.environment_id
        where e.name = $1 and o.cutover_at is not null and o.state <> 'rolled-back'
        order by o.cutover_at desc limit 1`,
      [environment],
    );
    const id = result.rows[0]?.id;
    return id === undefined ? undefined : Number(id);
  }

  /**
   * Takes over an operation whose runner stopped: it becomes this worker's when it is still
   * in `state` and silent for `staleSeconds`. Returns the worker it was taken from.
   */
  async claimStale(id: number, worker: string, state: 'running' | 'rolling-back', staleSeconds: number): Promise<string | undefined> {
    const result = await this.#pool.query<{ previous: string | null }>(
      `update dataalm.operations o set worker = $2, heartbeat_at = now()
         from (select id, worker as previous from dataalm.operations where id = $1 for update) old
        where o.id = old.id and o.state = $3 and o.heartbeat_at < now() - make_interval(secs => $4)
        returning old.previous`,
      [id, worker, state, staleSeconds],
    );
    return result.rowCount === 1 ? (result.rows[0]!.previous ?? 'an unknown process') : undefined;
  }

  /** Steps back to pending, so a resumed operation runs them again. */
  async resetSteps(id: number, names: readonly string[]): Promise<void> {
    await this.#pool.query(`update dataalm.operation_steps set status = 'pending' where operation_id = $1 and name = any($2)`, [id, names]);
  }

  /** Operations queued for longer than `seconds`, oldest first: their job may have been lost. */
  async queuedSince(seconds: number): Promise<number[]> {
    const result = await this.#pool.query<{ id: string }>(
      `select id from dataalm.operations where state = 'queued' and requested_at < now() - make_interval(secs => $1) order by id`,
      [seconds],
    );
    return result.rows.map((r) => Number(r.id));
  }

  /** Running operations whose process stopped sending heartbeats. */
  async abandoned(staleSeconds: number): Promise<{ id: number; state: 'running' | 'rolling-back'; heartbeatAt: string }[]> {
    const result = await this.#pool.query<{ id: string; state: 'running' | 'rolling-back'; heartbeat_at: Date }>(
      `select id, state, heartbeat_at from dataalm.operations
        where state in ('running', 'rolling-back') and heartbeat_at < now() - make_interval(secs => $1)`,
      [staleSeconds],
    );
    return result.rows.map((r) => ({ id: Number(r.id), state: r.state, heartbeatAt: r.heartbeat_at.toISOString() }));
  }
}
