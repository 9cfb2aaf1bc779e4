import type { Actor } from '../domain/actor.js';
import type { Role } from '../domain/access.js';
import { DataalmError } from '../domain/errors/dataalm-error.js';
import {
  type Delivery,
  type Subscription,
  checkEmailAddress,
  checkWebhookUrl,
  forbiddenToManage,
  mayManage,
  parseEvents,
  testPayload,
} from '../domain/notification.js';
import { newSigningSecret } from '../adapters/notify/webhook-sender.js';
import { sendNow } from './notification-delivery.js';
import type { Runtime } from './runtime.js';

export { deliverNotification, notifyOperation, requeuePendingNotifications } from './notification-delivery.js';

/** Who asks: for the audit log, and the role that says which subscriptions they may manage. */
export interface Requester {
  readonly actor: Actor;
  /** A local CLI run acts as the installation: a project owner. */
  readonly role: Role;
}

export interface SubscriptionInput {
  readonly webhook?: string | undefined;
  readonly email?: string | undefined;
  readonly env?: string | undefined;
  /** Names separated by commas, or a list; absent or empty: all four events. */
  readonly events?: string | readonly string[] | undefined;
}

/** A subscription just added; a webhook's signing secret is in it this once, never again. */
export interface AddedSubscription {
  readonly subscription: Subscription;
  readonly secret: string | null;
}

/**
 * Adds a subscription: exactly one of a webhook URL and an e-mail address, for the project
 * or one environment. A webhook gets a signing secret of its own, sealed at rest and shown
 * here only. E-mail needs the SMTP server setting. Audited.
 */
export async function addSubscription(runtime: Runtime, input: SubscriptionInput, who: Requester): Promise<AddedSubscription> {
  const webhook = blankToUndefined(input.webhook);
  const email = blankToUndefined(input.email);
  if ((webhook === undefined) === (email === undefined)) {
    throw new DataalmError('INVALID_INPUT', 'give exactly one of --webhook URL and --email ADDRESS', {
      field: webhook === undefined ? 'webhook' : 'email',
      remedy: 'one subscription has one receiver: add a second subscription for another',
    });
  }
  const environment = blankToUndefined(input.env) ?? null;
  const events = parseEvents(input.events);
  if (!mayManage(who.role, environment)) throw forbiddenToManage(environment);
  if (email !== undefined) {
    const address = checkEmailAddress(email);
    if (runtime.config.smtpUrl === undefined) {
      throw new DataalmError('CONFIGURATION', 'e-mail notifications need an SMTP server, and none is set', {
        field: 'DATAALM_SMTP_URL',
        remedy: 'set DATAALM_SMTP_URL (e.g. smtp://user:password@mail.example.com:587) for the service and the workers, then add the subscription again; or use --webhook',
      });
    }
    return { subscription: await runtime.notifications.add({ channel: 'email', address, environment, events }, who.actor), secret: null };
  }
  const url = checkWebhookUrl(webhook!);
  const secret = newSigningSecret();
  return { subscription: await runtime.notifications.add({ channel: 'webhook', address: url, environment, events, secret }, who.actor), secret };
}

/** Every subscription; a webhook's secret is never in it. */
export async function listSubscriptions(runtime: Runtime): Promise<Subscription[]> {
  return runtime.notifications.list();
}

/** The delivery log of a subscription, newest first, every attempt of each. */
export async function subscriptionDeliveries(runtime: Runtime, id: number, limit = 20): Promise<Delivery[]> {
  await runtime.notifications.get(id);
  return runtime.notifications.deliveries(id, limit);
}

export async function removeSubscription(runtime: Runtime, id: number, who: Requester): Promise<void> {
  const subscription = await runtime.notifications.get(id);
  if (!mayManage(who.role, subscription.environment)) throw forbiddenToManage(subscription.environment);
  if (!(await runtime.notifications.remove(id, who.actor))) {
    throw new DataalmError('NOT_FOUND', `notification subscription ${id} does not exist`, { field: 'id', remedy: 'dataalm notify list shows the subscriptions' });
  }
}

/**
 * Sends a test notification now, once, and returns its delivery (delivered, or failed with
 * the receiver's answer or why it could not be reached); it is in the delivery log too.
 */
export async function testSubscription(runtime: Runtime, id: number, who: Requester): Promise<Delivery> {
  const subscription = await runtime.notifications.get(id);
  if (!mayManage(who.role, subscription.environment)) throw forbiddenToManage(subscription.environment);
  const [delivery] = await runtime.notifications.createDeliveries([{ subscription: id, event: 'test', operation: null, payload: testPayload() }]);
  const sent = await sendNow(runtime, delivery!, true);
  if (!sent) throw new DataalmError('NOT_FOUND', `notification subscription ${id} was removed meanwhile`, { field: 'id' });
  await runtime.notifications.audit(who.actor, 'notification.test', subscription.environment, { subscription: id, delivered: sent.state === 'delivered' });
  return sent;
}

function blankToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
