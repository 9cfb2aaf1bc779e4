import type pg from 'pg';
import type { Actor } from '../../domain/actor.js';
import { DataalmError } from '../../domain/errors/dataalm-error.js';
import type { CreatorKind, ScheduleOutcome, ScheduleRecord, ScheduleRun } from '../../domain/schedule.js';
import { inTransaction } from './environment-store.js';

interface ScheduleRow {
  id: string;
  target: string;
  source: string;
  cron: string;
  timezone: string;
  created_by: string;
  created_origin: string;
  created_by_kind: CreatorKind;
  paused: boolean;
  next_run_at: Date | null;
  created_at: Date;
}

interface RunRow {
  id: string;
  schedule_id: string;
  due_at: Date;
  fired_at: Date;
  outcome: ScheduleOutcome;
  operation_id: string | null;
  code: string | null;
  reason: string | null;
}

const SELECT = `
  select s.id, t.name as target, f.name as source, s.cron, s.timezone, s.created_by, s.created_origin,
         s.created_by_kind, s.paused, s.next_run_at, s.created_at
    from dataalm.schedules s
    join dataalm.environments t on t.id = s.environment_id
    join dataalm.environments f on f.id = s.source_id`;

/** Runs kept per schedule, the latest ones: a schedule of every minute makes 1440 a day. */
const RUNS_KEPT = 1000;

const RUN_COLUMNS = 'r.id, r.schedule_id, r.due_at, r.fired_at, r.outcome, r.operation_id, r.code, r.reason';

export interface NewSchedule {
  readonly target: string;
  readonly source: string;
  readonly cron: string;
  readonly timezone: string;
  readonly nextRunAt: Date;
  readonly createdByKind: CreatorKind;
}

export interface NewScheduleRun {
  readonly schedule: number;
  readonly dueAt: string;
  readonly outcome: ScheduleOutcome;
  readonly operation: number | null;
  readonly code: string | null;
  readonly reason: string | null;
}

/** Schedules and the log of their runs; every change of a schedule is audited. */
export class ScheduleStore {
  readonly #pool: pg.Pool;

  constructor(pool: pg.Pool) {
    this.#pool = pool;
  }

  async list(): Promise<ScheduleRecord[]> {
    const result = await this.#pool.query<ScheduleRow>(`${SELECT} order by t.name, s.id`);
    return result.rows.map(toRecord);
  }

  async find(id: number): Promise<ScheduleRecord | undefined> {
    const result = await this.#pool.query<ScheduleRow>(`${SELECT} where s.id = $1`, [id]);
    return result.rows[0] && toRecord(result.rows[0]);
  }

  async get(id: number): Promise<ScheduleRecord> {
    const found = await this.find(id);
    if (!found) throw notFound(id);
    return found;
  }

  /** Records a schedule (both environments must exist) and audits it as `actor`'s. */
  async create(schedule: NewSchedule, actor: Actor): Promise<ScheduleRecord> {
    const id = await inTransaction(this.#pool, async (client) => {
      const ids = await client.query<{ name: string; id: string }>('select name, id from dataalm.environments where name = any($1)', [[schedule.target, schedule.source]]);
      const idOf = (name: string) => ids.rows.find((r) => r.name === name)?.id;
      for (const [field, name] of [['target', schedule.target], ['source', schedule.source]] as const) {
        if (!idOf(name)) throw new DataalmError('NOT_FOUND', `environment "${name}" does not exist`, { field, remedy: 'dataalm env list shows the environments' });
      }
      const inserted = await client.query<{ id: string }>(
        `insert into dataalm.schedules (environment_id, source_id, cron, timezone, created_by, created_origin, created_by_kind, next_run_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8) returning id`,
        [idOf(schedule.target), idOf(schedule.source), schedule.cron, schedule.timezone, actor.name, actor.origin, schedule.createdByKind, schedule.nextRunAt],
      );
      const created = Number(inserted.rows[0]!.id);
      await audit(client, actor, 'schedule.add', schedule.target, { schedule: created, source: schedule.source, cron: schedule.cron, timezone: schedule.timezone });
      return created;
    });
    return this.get(id);
  }

  /** Forgets a schedule and its runs (the refreshes it started stay); audited. */
  async remove(id: number, actor: Actor): Promise<ScheduleRecord> {
    return inTransaction(this.#pool, async (client) => {
      const found = (await client.query<ScheduleRow>(`${SELECT} where s.id = $1 for update of s`, [id])).rows[0];
      if (!found) throw notFound(id);
      await client.query('delete from dataalm.schedules where id = $1', [id]);
      const record = toRecord(found);
      await audit(client, actor, 'schedule.remove', record.target, { schedule: id, source: record.source, cron: record.cron, timezone: record.timezone });
      return record;
    });
  }

  /**
   * Pauses (nextRunAt null) or resumes a schedule from `nextRunAt` on; audited when it
   * changed. Pausing a paused schedule, or resuming a running one, changes nothing.
   */
  async setPaused(id: number, paused: boolean, nextRunAt: Date | null, actor: Actor): Promise<ScheduleRecord> {
    await inTransaction(this.#pool, async (client) => {
      const updated = await client.query<{ target: string }>(
        `update dataalm.schedules s set paused = $2, next_run_at = $3, updated_at = now()
           from dataalm.environments t
          where s.id = $1 and s.paused <> $2 and t.id = s.environment_id
          returning t.name as target`,
        [id, paused, nextRunAt],
      );
      const target = updated.rows[0]?.target;
      if (target !== undefined) await audit(client, actor, paused ? 'schedule.pause' : 'schedule.resume', target, { schedule: id });
    });
    return this.get(id);
  }

  /** Schedules whose next run has come (not paused), earliest first, and the control database's time. */
  async due(): Promise<{ now: Date; schedules: ScheduleRecord[] }> {
    const now = (await this.#pool.query<{ now: Date }>('select now() as now')).rows[0]!.now;
    const result = await this.#pool.query<ScheduleRow>(`${SELECT} where not s.paused and s.next_run_at <= $1 order by s.next_run_at, s.id`, [now]);
    return { now, schedules: result.rows.map(toRecord) };
  }

  /**
   * Claims one due time: moves next_run_at from `dueAt` on to `next` in one statement, so of
   * several workers that found the schedule due exactly one wins. With no next time (the
   * expression comes no more) the schedule is paused. False when another worker claimed it,
   * or it was paused, changed or removed meanwhile.
   */
  async claim(id: number, dueAt: string, next: Date | null): Promise<boolean> {
    const claimed = await this.#pool.query(
      `update dataalm.schedules set next_run_at = $3, paused = $3::timestamptz is null, updated_at = now()
        where id = $1 and date_trunc('milliseconds', next_run_at) = $2::timestamptz and not paused
       returning id`,
      [id, dueAt, next],
    );
    return claimed.rowCount === 1;
  }

  /** Records what a due time did (once per due time), and forgets the schedule's runs beyond the latest RUNS_KEPT. */
  async recordRun(run: NewScheduleRun): Promise<ScheduleRun | undefined> {
    const result = await this.#pool.query<RunRow>(
      `insert into dataalm.schedule_runs as r (schedule_id, due_at, outcome, operation_id, code, reason)
       values ($1, $2, $3, $4, $5, $6) on conflict (schedule_id, due_at) do nothing
       returning ${RUN_COLUMNS}`,
      [run.schedule, run.dueAt, run.outcome, run.operation, run.code, run.reason],
    );
    await this.#pool.query(
      `delete from dataalm.schedule_runs where schedule_id = $1
          and id <= (select id from dataalm.schedule_runs where schedule_id = $1 order by id desc offset $2 limit 1)`,
      [run.schedule, RUNS_KEPT],
    );
    return result.rows[0] && toRun(result.rows[0]);
  }

  /** A schedule's latest runs, newest first. */
  async runs(id: number, limit: number): Promise<ScheduleRun[]> {
    await this.get(id);
    const result = await this.#pool.query<RunRow>(`select ${RUN_COLUMNS} from dataalm.schedule_runs r where r.schedule_id = $1 order by r.id desc limit $2`, [id, limit]);
    return result.rows.map(toRun);
  }

  /** The latest run of each schedule that has one. */
  async lastRuns(): Promise<Map<number, ScheduleRun>> {
    const result = await this.#pool.query<RunRow>(
      `select distinct on (r.schedule_id) ${RUN_COLUMNS} from dataalm.schedule_runs r order by r.schedule_id, r.id desc`,
    );
    return new Map(result.rows.map((row) => [Number(row.schedule_id), toRun(row)]));
  }
}

function notFound(id: number): DataalmError {
  return new DataalmError('NOT_FOUND', `schedule ${id} does not exist`, { field: 'id', remedy: 'dataalm schedule list shows the schedules' });
}

async function audit(client: pg.ClientBase, actor: Actor, action: string, target: string, details: Record<string, unknown>): Promise<void> {
  await client.query('insert into dataalm.audit_log (actor, origin, action, target, details) values ($1, $2, $3, $4, $5)', [actor.name, actor.origin, action, target, details]);
}

function toRecord(row: ScheduleRow): ScheduleRecord {
  return {
    id: Number(row.id),
    target: row.target,
    source: row.source,
    cron: row.cron,
    timezone: row.timezone,
    createdBy: row.created_by,
    createdOrigin: row.created_origin,
    createdByKind: row.created_by_kind,
    paused: row.paused,
    nextRunAt: row.next_run_at ? row.next_run_at.toISOString() : null,
    createdAt: row.created_at.toISOString(),
  };
}

function toRun(row: RunRow): ScheduleRun {
  return {
    id: Number(row.id),
    schedule: Number(row.schedule_id),
    dueAt: row.due_at.toISOString(),
    firedAt: row.fired_at.toISOString(),
    outcome: row.outcome,
    operation: row.operation_id === null ? null : Number(row.operation_id),
    code: row.code,
    reason: row.reason,
  };
}
