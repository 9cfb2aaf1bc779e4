import os from 'node:os';
import type { JobAttempt } from '../adapters/queue/job-queue.js';
import { sendEmail } from '../adapters/notify/smtp-sender.js';
import { type SendResult, sendWebhook } from '../adapters/notify/webhook-sender.js';
import type { OutgoingDelivery } from '../adapters/store/notification-store.js';
import {
  type Delivery,
  MAX_DELIVERY_ATTEMPTS,
  type NotificationEvent,
  WEBHOOK_TIMEOUT_MS,
  needsAction,
  notificationPayload,
  notificationText,
} from '../domain/notification.js';
import type { OperationOutcome } from '../domain/operation-outcome.js';
import { redactSecrets } from '../domain/redaction.js';
import type { Runtime } from './runtime.js';

/**
 * Job attempts a delivery's job may use: one per delivery attempt, and two to spare for a
 * try that failed before it could send (the control database away for a moment).
 */
const JOB_ATTEMPTS = MAX_DELIVERY_ATTEMPTS + 2;

/** A pending delivery older than this with no job (its process stopped in between) is queued again. */
const REQUEUE_AFTER_SECONDS = 60;

/**
 * The events an operation's change of state is told as. Its start is `started`; an end says
 * how it ended, and `needs-action` when it left something only a person can do (see
 * needsAction in the domain). A cancel and a rollback are asked for by a person, who knows.
 */
function eventsOf(change: 'started' | OperationOutcome): NotificationEvent[] {
  switch (change) {
    case 'started':
    case 'succeeded':
    case 'failed':
      return [change];
    case 'canceled':
    case 'rolled-back':
    case 'rollback-failed':
      return [];
    default: {
      const never: never = change;
      return never;
    }
  }
}

/**
 * Tells the subscribers of the operation's environment (and of the project) that it started
 * or ended: records one delivery per subscription and event, and queues each for the
 * notification runner, so a slow or absent receiver never holds the operation up, and a
 * delivery outlives the process that made it. Called where the runbook engine changes an
 * operation's state (engine.ts for the start, settle.ts for every end). Never throws: a
 * notification that cannot be queued is a warning in the runbook log.
 */
export async function notifyOperation(runtime: Runtime, id: number, change: 'started' | OperationOutcome): Promise<void> {
  try {
    const operation = await runtime.operations.get(id);
    const events = eventsOf(change);
    let actions: ReturnType<typeof needsAction> = [];
    if (change === 'succeeded' || change === 'failed' || change === 'rollback-failed') {
      const environment = await runtime.environments.find(operation.environment);
      actions = environment ? needsAction(operation, environment.state, environment.pendingActions) : [];
      if (actions.length > 0) events.push('needs-action');
    }
    const deliveries = [];
    for (const event of events) {
      const payload = notificationPayload(event, operation, event === 'needs-action' ? actions : []);
      for (const subscription of await runtime.notifications.matching(operation.environment, event)) {
        deliveries.push({ subscription: subscription.id, event, operation: id, payload });
      }
    }
    for (const delivery of await runtime.notifications.createDeliveries(deliveries)) {
      await runtime.queue.enqueueNotification({ delivery }, JOB_ATTEMPTS);
    }
  } catch (error) {
    await runtime.operations
      .log(id, null, 'warning', `the notifications of this ${change === 'started' ? 'start' : 'end'} could not be queued: ${redactSecrets((error as Error).message)}`)
      .catch(() => {});
  }
}

/**
 * The notification runner's job: one attempt at a pending delivery. A failed attempt is
 * recorded and thrown, so the queue runs the job again after its backoff; the last one
 * allowed gives the delivery up as failed.
 */
export async function deliverNotification(runtime: Runtime, deliveryId: number, _job?: JobAttempt): Promise<void> {
  const sent = await sendNow(runtime, deliveryId, false);
  if (sent?.state === 'pending') {
    const last = sent.attempts.at(-1);
    throw new Error(`notification delivery ${deliveryId}, attempt ${last?.attempt} of ${MAX_DELIVERY_ATTEMPTS}: ${last?.error ?? 'failed'}`);
  }
}

/**
 * One attempt at a delivery now, recorded; undefined when the delivery is gone. `once`: its only attempt (a test), delivered or
 * failed; otherwise pending again until the last attempt allowed.
 */
export async function sendNow(runtime: Runtime, deliveryId: number, once: boolean): Promise<Delivery | undefined> {
  const outgoing = await runtime.notifications.outgoing(deliveryId);
  // Gone with its subscription, or already decided (a job run twice): nothing to send.
  if (!outgoing || outgoing.delivery.state !== 'pending') return outgoing?.delivery;
  const attempt = outgoing.delivery.attempts.length + 1;
  const result = await send(runtime, outgoing);
  const end = result.ok ? 'delivered' : once || attempt >= MAX_DELIVERY_ATTEMPTS ? 'failed' : undefined;
  return runtime.notifications.recordAttempt(deliveryId, { attempt, ...result }, end);
}

async function send(runtime: Runtime, { delivery, subscription, payload }: OutgoingDelivery): Promise<SendResult> {
  switch (subscription.channel) {
    case 'webhook':
      return sendWebhook({
        url: subscription.address,
        secret: await runtime.notifications.secret(subscription.id),
        body: JSON.stringify({ ...payload, deliveryId: delivery.id }),
        event: payload.event,
        delivery: delivery.id,
        timeoutMs: WEBHOOK_TIMEOUT_MS,
      });
    case 'email': {
      const { smtpUrl, smtpFrom } = runtime.config;
      if (smtpUrl === undefined) return { ok: false, httpStatus: null, error: 'DATAALM_SMTP_URL is not set in the process that sends notifications', durationMs: 0 };
      return sendEmail({ smtpUrl, from: smtpFrom ?? `dataalm@${os.hostname()}`, to: subscription.address, ...notificationText(payload) });
    }
    default: {
      const never: never = subscription.channel;
      return never;
    }
  }
}

/** Queues again the pending deliveries whose job was lost (a process stopped between recording and queueing). */
export async function requeuePendingNotifications(runtime: Runtime): Promise<void> {
  for (const delivery of await runtime.notifications.pendingSince(REQUEUE_AFTER_SECONDS)) {
    await runtime.queue.enqueueNotification({ delivery }, JOB_ATTEMPTS);
  }
}
