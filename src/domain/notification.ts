import type { Role } from './access.js';
import type { PendingAction } from './asset.js';
import { DataalmError } from './errors/dataalm-error.js';
import type { Operation } from './operation.js';

/**
 * Terminology
 * - Subscription: who is told, and of what: a webhook (a URL that receives a signed JSON
 *   body) or an e-mail address, for the whole project or one environment, for some events.
 * - Event: what happened to an operation. `started` (a runner took it), `succeeded`,
 *   `failed` (with the step and the error), `needs-action` (it ended and left something a
 *   person must do: see needsAction below). `test` is only ever sent by `notify test`.
 * - Delivery: one event sent to one subscription, with every attempt recorded (the
 *   delivery log); a webhook that fails is tried again with backoff, a bounded number of
 *   times.
 */
export const NOTIFICATION_EVENTS = ['started', 'succeeded', 'failed', 'needs-action'] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];
export type DeliveryEvent = NotificationEvent | 'test';

export const CHANNELS = ['webhook', 'email'] as const;
export type Channel = (typeof CHANNELS)[number];

export const DELIVERY_STATES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/**
 * How often a delivery is tried before it is given up as failed. The job queue waits
 * e^n seconds before try n+1 (about 3 s, 7 s, 20 s, 55 s): a receiver that is down for a
 * minute still gets it, one that is gone is not tried for hours.
 */
export const MAX_DELIVERY_ATTEMPTS = 5;

/** How long one webhook call may take before it counts as failed. */
export const WEBHOOK_TIMEOUT_MS = 10_000;

/** The header that carries the body's signature: `sha256=<hex of HMAC-SHA256(secret, raw body)>`. */
export const SIGNATURE_HEADER = 'X-Dataalm-Signature';
export const EVENT_HEADER = 'X-Dataalm-Event';
/** Seconds since the epoch when the attempt was sent (each attempt its own). */
export const TIMESTAMP_HEADER = 'X-Dataalm-Timestamp';
export const DELIVERY_HEADER = 'X-Dataalm-Delivery';

export interface Subscription {
  readonly id: number;
  readonly channel: Channel;
  /** The webhook's URL or the e-mail address. */
  readonly address: string;
  /** Null: every environment of the project. */
  readonly environment: string | null;
  readonly events: readonly NotificationEvent[];
  readonly createdBy: string;
  readonly createdAt: string;
}

export interface DeliveryAttempt {
  readonly attempt: number;
  readonly at: string;
  readonly ok: boolean;
  readonly httpStatus: number | null;
  readonly error: string | null;
  readonly durationMs: number;
}

export interface Delivery {
  readonly id: number;
  readonly subscription: number;
  readonly event: DeliveryEvent;
  readonly operation: number | null;
  readonly state: DeliveryState;
  readonly createdAt: string;
  readonly finishedAt: string | null;
  readonly attempts: readonly DeliveryAttempt[];
}

/** What a receiver gets: the JSON body of a webhook, and what an e-mail says. */
export interface NotificationPayload {
  readonly event: DeliveryEvent;
  readonly operationId: number | null;
  readonly kind: Operation['kind'] | null;
  readonly target: string | null;
  readonly source: string | null;
  readonly state: Operation['state'] | null;
  /** For `failed`: the step that failed. */
  readonly step: string | null;
  readonly error: { readonly code: string; readonly message: string } | null;
  /** For `needs-action`: what a person must do. */
  readonly actions: readonly { readonly code: string; readonly message: string; readonly remedy: string }[];
  readonly requestedBy: string | null;
  readonly requestedAt: string | null;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  /** Path of the operation's page in the web UI (relative to the service's address). */
  readonly link: string | null;
  readonly occurredAt: string;
}

/** An event list as the CLI and the API take it: names separated by commas; empty or absent means all four. */
export function parseEvents(list: string | readonly string[] | undefined): NotificationEvent[] {
  const names = (typeof list === 'string' ? list.split(',') : (list ?? [])).map((e) => e.trim()).filter((e) => e !== '');
  if (names.length === 0) return [...NOTIFICATION_EVENTS];
  const unknown = names.filter((e) => !(NOTIFICATION_EVENTS as readonly string[]).includes(e));
  if (unknown.length > 0) {
    throw new DataalmError('INVALID_INPUT', `events (--events): unknown event ${unknown.map((e) => `"${e}"`).join(', ')}`, {
      field: 'events',
      remedy: `give some of ${NOTIFICATION_EVENTS.join(', ')}, separated by commas`,
    });
  }
  return NOTIFICATION_EVENTS.filter((e) => names.includes(e));
}

/** A webhook URL: http or https, with a host, no white space. Returns it normalised. */
export function checkWebhookUrl(text: string): string {
  const bad = (why: string) =>
    new DataalmError('INVALID_INPUT', `webhook (--webhook): ${why}`, { field: 'webhook', remedy: 'give an http:// or https:// URL, e.g. https://hooks.example.com/dataalm' });
  if (text.length > 2048) throw bad('the URL is longer than 2048 characters');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw bad('not a URL');
  }
  if (/\s/.test(text)) throw bad('a URL has no white space');
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad(`${url.protocol.replace(/:$/, '')} is not http or https`);
  if (url.hostname === '') throw bad('the URL names no host');
  return url.toString();
}

/** An e-mail address as one mailbox (`name@domain`); no display names, no lists. */
export function checkEmailAddress(text: string): string {
  const address = text.trim();
  if (address.length > 254 || !/^[^\s@<>(),;:"[\]\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(address)) {
    throw new DataalmError('INVALID_INPUT', `email (--email): "${text}" is not an e-mail address`, { field: 'email', remedy: 'give one address such as ops@example.com' });
  }
  return address;
}

/**
 * Who may add, remove or test a subscription: a project owner any; an environment manager
 * those of one environment (they run its refreshes); a team member none. Project-wide
 * subscriptions hear of every environment, production included, so they are the owner's.
 */
export function mayManage(role: Role, environment: string | null): boolean {
  if (role === 'owner') return true;
  return role === 'manager' && environment !== null;
}

export function forbiddenToManage(environment: string | null): DataalmError {
  return new DataalmError(
    'FORBIDDEN',
    environment === null ? 'only a project owner manages project-wide notifications' : 'only project owners and environment managers manage notifications',
    { remedy: environment === null ? 'add it for one environment (--env), or ask a project owner' : 'ask a project owner or an environment manager' },
  );
}

/** The action a needs-action notification names when an environment is left failed (like a pending action's code, not an error code). */
export const ROLLBACK_ACTION = 'ROLLBACK_NEEDED';

/**
 * needs-action: an operation ended and left something only a person can do.
 * - It failed after its cutover (or its rollback failed): the environment is `failed`, down
 *   until someone rolls it back. A failure before the cutover leaves the target as it was,
 *   so `failed` says enough and no needs-action is sent for it.
 * - It left pending actions on the environment (a retail refresh whose reprovisioning tool
 *   did not run, self-service installers missing): the seed's steps after a refresh.
 * Returns what the person must do; empty when nothing.
 */
export function needsAction(
  operation: Pick<Operation, 'id' | 'environment' | 'kind'>,
  environmentState: string,
  pendingActions: readonly PendingAction[],
): { code: string; message: string; remedy: string }[] {
  const actions = pendingActions.filter((a) => a.operation === operation.id).map(({ code, message, remedy }) => ({ code, message, remedy }));
  if (environmentState === 'failed') {
    actions.unshift({
      code: ROLLBACK_ACTION,
      message: `${operation.environment} is left failed by operation ${operation.id} (${operation.kind}): its databases were swapped, and it needs a rollback`,
      remedy: `roll the operation back: the operation page's Rollback, or dataalm op rollback ${operation.id}`,
    });
  }
  return actions;
}

/** The body of a notification about an operation. */
export function notificationPayload(event: NotificationEvent, operation: Operation, actions: NotificationPayload['actions'] = [], now = new Date()): NotificationPayload {
  const failed = event === 'failed' || (event === 'needs-action' && operation.error !== null);
  return {
    event,
    operationId: operation.id,
    kind: operation.kind,
    target: operation.environment,
    source: operation.source,
    state: operation.state,
    step: failed ? (operation.error?.step ?? null) : null,
    error: failed && operation.error ? { code: operation.error.code, message: operation.error.message } : null,
    actions,
    requestedBy: operation.requestedBy,
    requestedAt: operation.requestedAt,
    startedAt: operation.startedAt,
    finishedAt: operation.finishedAt,
    link: `/operations/${operation.id}`,
    occurredAt: now.toISOString(),
  };
}

/** The body `notify test` sends: the shape of every notification, about no operation. */
export function testPayload(now = new Date()): NotificationPayload {
  return {
    event: 'test',
    operationId: null,
    kind: null,
    target: null,
    source: null,
    state: null,
    step: null,
    error: null,
    actions: [],
    requestedBy: null,
    requestedAt: null,
    startedAt: null,
    finishedAt: null,
    link: null,
    occurredAt: now.toISOString(),
  };
}

/** An e-mail's subject and plain text for a notification. */
export function notificationText(payload: NotificationPayload): { subject: string; text: string } {
  if (payload.event === 'test') {
    return { subject: 'dataalm: test notification', text: 'This is a test notification from dataalm: this address is subscribed to its notifications.\n' };
  }
  const what = `${payload.kind} ${payload.operationId} of ${payload.target}${payload.source ? ` from ${payload.source}` : ''}`;
  const headline: Record<NotificationEvent, string> = {
    started: `${what} started`,
    succeeded: `${what} succeeded`,
    failed: `${what} failed${payload.step ? ` at step ${payload.step}` : ''}`,
    'needs-action': `${what} needs action`,
  };
  const lines = [`${headline[payload.event]}.`, ''];
  if (payload.error) lines.push(`Error ${payload.error.code}: ${payload.error.message}`, '');
  for (const action of payload.actions) lines.push(`To do: ${action.message}`, `  ${action.remedy}`, '');
  lines.push(`Requested by ${payload.requestedBy} at ${payload.requestedAt}.`);
  if (payload.startedAt) lines.push(`Started at ${payload.startedAt}.`);
  if (payload.finishedAt) lines.push(`Finished at ${payload.finishedAt}.`);
  if (payload.link) lines.push('', `Operation page (path on the dataalm service): ${payload.link}`);
  return { subject: `dataalm: ${headline[payload.event]}`, text: `${lines.join('\n')}\n` };
}
