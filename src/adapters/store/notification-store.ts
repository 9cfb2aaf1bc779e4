import type pg from 'pg';
import type { Actor } from '../../domain/actor.js';
import { DataalmError } from '../../domain/errors/dataalm-error.js';
import type {
  Channel,
  Delivery,
  DeliveryAttempt,
  DeliveryEvent,
  DeliveryState,
  NotificationEvent,
  NotificationPayload,
  Subscription,
} from '../../domain/notification.js';
import type { SecretBox } from '../secrets/secret-box.js';
import { inTransaction } from './environment-store.js';

export interface NewSubscription {
  readonly channel: Channel;
  readonly address: string;
  readonly environment: string | null;
  readonly events: readonly NotificationEvent[];
  /** A webhook's signing secret (sealed before it is stored); none for e-mail. */
  readonly secret?: string;
}

export interface NewDelivery {
  readonly subscription: number;
  readonly event: DeliveryEvent;
  readonly operation: number | null;
  readonly payload: NotificationPayload;
}

/** A delivery with what sending it takes. */
export interface OutgoingDelivery {
  readonly delivery: Delivery;
  readonly subscription: Subscription;
  readonly payload: NotificationPayload;
}

interface SubscriptionRow {
  id: string;
  channel: Channel;
  address: string;
  environment: string | null;
  events: NotificationEvent[];
  created_by: string;
  created_at: Date;
}

interface DeliveryRow {
  id: string;
  subscription_id: string;
  event: DeliveryEvent;
  operation_id: string | null;
  state: DeliveryState;
  created_at: Date;
  finished_at: Date | null;
  attempts: { attempt: number; at: string; ok: boolean; http_status: number | null; error: string | null; duration_ms: number }[];
}

const SELECT_SUBSCRIPTIONS = `
  select s.id, s.channel, s.address, e.name as environment, s.events, s.created_by, s.created_at
    from dataalm.notification_subscriptions s left join dataalm.environments e on e.id = s.environment_id`;

const SELECT_DELIVERIES = `
  select d.id, d.subscription_id, d.event, d.operation_id, d.state, d.created_at, d.finished_at,
         coalesce((select json_agg(json_build_object('attempt', a.attempt, 'at', a.at, 'ok', a.ok, 'http_status', a.http_status,
                                                     'error', a.error, 'duration_ms', a.duration_ms) order by a.attempt)
                     from dataalm.notification_attempts a where a.delivery_id = d.id), '[]') as attempts
    from dataalm.notification_deliveries d`;

/** Subscriptions, their deliveries and every attempt, in the control database; signing secrets sealed. */
export class NotificationStore {
  readonly #pool: pg.Pool;
  readonly #secrets: SecretBox;

  constructor(pool: pg.Pool, secrets: SecretBox) {
    this.#pool = pool;
    this.#secrets = secrets;
  }

  /** Adds a subscription and its audit entry in one transaction. */
  async add(input: NewSubscription, actor: Actor): Promise<Subscription> {
    return inTransaction(this.#pool, async (client) => {
      let environmentId: string | null = null;
      if (input.environment !== null) {
        const found = await client.query<{ id: string }>('select id from dataalm.environments where name = $1', [input.environment]);
        environmentId = found.rows[0]?.id ?? null;
        if (environmentId === null) {
          throw new DataalmError('NOT_FOUND', `environment "${input.environment}" does not exist`, { field: 'env', remedy: 'dataalm env list shows the environments' });
        }
      }
      // The id comes first: the sealed secret is bound to its subscription.
      const next = await client.query<{ id: string }>(`select nextval(pg_get_serial_sequence('dataalm.notification_subscriptions', 'id')) as id`);
      const id = next.rows[0]!.id;
      await client.query(
        `insert into dataalm.notification_subscriptions (id, channel, address, environment_id, events, secret, created_by)
         overriding system value values ($1, $2, $3, $4, $5, $6, $7)`,
        [id, input.channel, input.address, environmentId, input.events, input.secret === undefined ? null : this.#secrets.seal(input.secret, secretContext(id)), actor.name],
      );
      await audit(client, actor, 'notification.add', input.environment, { subscription: Number(id), channel: input.channel, events: input.events });
      return (await this.#find(client, Number(id)))!;
    });
  }

  async list(): Promise<Subscription[]> {
    const result = await this.#pool.query<SubscriptionRow>(`${SELECT_SUBSCRIPTIONS} order by s.id`);
    return result.rows.map(toSubscription);
  }

  async get(id: number): Promise<Subscription> {
    const found = await this.#find(this.#pool, id);
    if (!found) throw new DataalmError('NOT_FOUND', `notification subscription ${id} does not exist`, { field: 'id', remedy: 'dataalm notify list shows the subscriptions' });
    return found;
  }

  /** Removes a subscription (its deliveries with it) and audits it; false when it was gone. */
  async remove(id: number, actor: Actor): Promise<boolean> {
    return inTransaction(this.#pool, async (client) => {
      const found = await this.#find(client, id);
      if (!found) return false;
      await client.query('delete from dataalm.notification_subscriptions where id = $1', [id]);
      await audit(client, actor, 'notification.remove', found.environment, { subscription: id, channel: found.channel });
      return true;
    });
  }

  async audit(actor: Actor, action: string, target: string | null, details: Record<string, unknown>): Promise<void> {
    await audit(this.#pool, actor, action, target, details);
  }

  /** A webhook's signing secret, for signing only: never logged or answered. */
  async secret(id: number): Promise<string> {
    const result = await this.#pool.query<{ secret: Buffer | null }>('select secret from dataalm.notification_subscriptions where id = $1', [id]);
    const sealed = result.rows[0]?.secret;
    if (!sealed) throw new DataalmError('NOT_FOUND', `notification subscription ${id} has no signing secret`);
    return this.#secrets.open(sealed, secretContext(String(id)));
  }

  /** The subscriptions that hear of `event` on `environment`. */
  async matching(environment: string, event: NotificationEvent): Promise<Subscription[]> {
    const result = await this.#pool.query<SubscriptionRow>(
      `${SELECT_SUBSCRIPTIONS} where (s.environment_id is null or e.name = $1) and $2 = any(s.events) order by s.id`,
      [environment, event],
    );
    return result.rows.map(toSubscription);
  }

  /** Records deliveries to be sent; returns their ids, in order. */
  async createDeliveries(items: readonly NewDelivery[]): Promise<number[]> {
    if (items.length === 0) return [];
    const result = await this.#pool.query<{ id: string }>(
      `insert into dataalm.notification_deliveries (subscription_id, event, operation_id, payload)
       select s, e, o, p from unnest($1::bigint[], $2::text[], $3::bigint[], $4::jsonb[]) with ordinality as i(s, e, o, p, n) order by n
       returning id`,
      [items.map((i) => i.subscription), items.map((i) => i.event), items.map((i) => i.operation), items.map((i) => JSON.stringify(i.payload))],
    );
    return result.rows.map((r) => Number(r.id));
  }

  /** A delivery with its subscription and body; undefined when it (or its subscription) is gone. */
  async outgoing(id: number): Promise<OutgoingDelivery | undefined> {
    const result = await this.#pool.query<DeliveryRow & { payload: NotificationPayload }>(
      `${SELECT_DELIVERIES.replace('d.finished_at,', 'd.finished_at, d.payload,')} where d.id = $1`,
      [id],
    );
    const row = result.rows[0];
    if (!row) return undefined;
    const subscription = await this.#find(this.#pool, Number(row.subscription_id));
    return subscription ? { delivery: toDelivery(row), subscription, payload: row.payload } : undefined;
  }

  /** Records an attempt and, when it decides the delivery, its end; in one transaction. */
  async recordAttempt(id: number, attempt: Omit<DeliveryAttempt, 'at'>, end: 'delivered' | 'failed' | undefined): Promise<Delivery> {
    return inTransaction(this.#pool, async (client) => {
      await client.query(
        `insert into dataalm.notification_attempts (delivery_id, attempt, ok, http_status, error, duration_ms) values ($1, $2, $3, $4, $5, $6)
         on conflict (delivery_id, attempt) do nothing`,
        [id, attempt.attempt, attempt.ok, attempt.httpStatus, attempt.error, attempt.durationMs],
      );
      if (end) await client.query(`update dataalm.notification_deliveries set state = $2, finished_at = now() where id = $1 and state = 'pending'`, [id, end]);
      const row = (await client.query<DeliveryRow>(`${SELECT_DELIVERIES} where d.id = $1`, [id])).rows[0]!;
      return toDelivery(row);
    });
  }

  /** The delivery log of a subscription, newest first. */
  async deliveries(subscription: number, limit = 20): Promise<Delivery[]> {
    const result = await this.#pool.query<DeliveryRow>(`${SELECT_DELIVERIES} where d.subscription_id = $1 order by d.id desc limit $2`, [subscription, limit]);
    return result.rows.map(toDelivery);
  }

  /** Pending deliveries made more than `seconds` ago: their jobs may have been lost with a process. */
  async pendingSince(seconds: number): Promise<number[]> {
    const result = await this.#pool.query<{ id: string }>(
      `select id from dataalm.notification_deliveries where state = 'pending' and created_at < now() - make_interval(secs => $1) order by id limit 100`,
      [seconds],
    );
    return result.rows.map((r) => Number(r.id));
  }

  async #find(client: pg.Pool | pg.PoolClient, id: number): Promise<Subscription | undefined> {
    const result = await client.query<SubscriptionRow>(`${SELECT_SUBSCRIPTIONS} where s.id = $1`, [id]);
    const row = result.rows[0];
    return row ? toSubscription(row) : undefined;
  }
}

function secretContext(id: string): string {
  return `notification subscription ${id}`;
}

async function audit(client: pg.Pool | pg.PoolClient, actor: Actor, action: string, target: string | null, details: Record<string, unknown>): Promise<void> {
  await client.query('insert into dataalm.audit_log (actor, origin, action, target, details) values ($1, $2, $3, $4, $5)', [actor.name, actor.origin, action, target, details]);
}

function toSubscription(row: SubscriptionRow): Subscription {
  return {
    id: Number(row.id),
    channel: row.channel,
    address: row.address,
    environment: row.environment,
    events: row.events,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
  };
}

function toDelivery(row: DeliveryRow): Delivery {
  return {
    id: Number(row.id),
    subscription: Number(row.subscription_id),
    event: row.event,
    operation: row.operation_id === null ? null : Number(row.operation_id),
    state: row.state,
    createdAt: row.created_at.toISOString(),
    finishedAt: row.finished_at?.toISOString() ?? null,
    attempts: row.attempts.map((a) => ({
      attempt: a.attempt,
      at: new Date(a.at).toISOString(),
      ok: a.ok,
      httpStatus: a.http_status,
      error: a.error,
      durationMs: a.duration_ms,
    })),
  };
}
