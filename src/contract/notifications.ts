import { z } from 'zod';
import { CHANNELS, DELIVERY_STATES, type Delivery, NOTIFICATION_EVENTS, type Subscription } from '../domain/notification.js';

/** Who is told of what (GET /api/notifications). A webhook's signing secret is never in it. */
export const notificationSubscription = z.strictObject({
  id: z.number(),
  channel: z.enum(CHANNELS),
  /** The webhook's URL or the e-mail address. */
  address: z.string(),
  /** Null: every environment of the project. */
  environment: z.string().nullable(),
  events: z.array(z.enum(NOTIFICATION_EVENTS)),
  createdBy: z.string(),
  createdAt: z.string(),
}) satisfies z.ZodType<Subscription>;

/** A subscription just added (POST /api/notifications): a webhook's signing secret, shown this once (null for e-mail). */
export const newNotificationSubscription = z.strictObject({ subscription: notificationSubscription, secret: z.string().nullable() });

export const notificationAttempt = z.strictObject({
  attempt: z.number(),
  at: z.string(),
  ok: z.boolean(),
  /** The receiver's answer (webhooks); null when it could not be reached, and for e-mail. */
  httpStatus: z.number().nullable(),
  /** Why the attempt failed, without secrets. */
  error: z.string().nullable(),
  durationMs: z.number(),
});

/** One notification sent to one subscription, with every attempt (GET /api/notifications/:id/deliveries). */
export const notificationDelivery = z.strictObject({
  id: z.number(),
  subscription: z.number(),
  event: z.enum([...NOTIFICATION_EVENTS, 'test'] as const),
  /** Null for a test notification. */
  operation: z.number().nullable(),
  /** pending: being tried (again after a backoff); delivered; failed: every attempt allowed failed. */
  state: z.enum(DELIVERY_STATES),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
  attempts: z.array(notificationAttempt),
}) satisfies z.ZodType<Delivery>;
