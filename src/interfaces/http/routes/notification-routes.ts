import { z } from 'zod';
import type { Actor } from '../../../domain/actor.js';
import type { Principal } from '../../../app/accounts.js';
import { type Requester, addSubscription, listSubscriptions, removeSubscription, subscriptionDeliveries, testSubscription } from '../../../app/notification-service.js';
import type { Runtime } from '../../../app/runtime.js';
import { type ApiRoute, route } from '../api-route.js';
import { idParams } from '../params.js';

/**
 * Notification subscriptions: webhooks and e-mail told when operations start, succeed, fail
 * or need action. Owners and environment managers see and manage them (a webhook's URL may
 * hold a token of its receiver); project-wide ones are the project owner's. Changes are audited.
 */
export function notificationRoutes(runtime: Runtime): ApiRoute[] {
  const who = (principal: Principal, actor: Actor): Requester => ({ actor, role: principal.user.role });
  return [
    route({
      method: 'GET',
      url: '/api/notifications',
      access: 'operate',
      tag: 'notifications',
      summary: 'Every notification subscription: its receiver, environment (null: the whole project) and events',
      success: { description: 'the subscriptions, oldest first' },
      handler: async () => listSubscriptions(runtime),
    }),
    route({
      method: 'POST',
      url: '/api/notifications',
      access: 'operate',
      tag: 'notifications',
      summary: 'Subscribe a webhook or an e-mail address to some events of one environment or of the project (audited); a webhook’s signing secret is answered this once',
      body: z
        .object({
          webhook: z.string().max(2048).optional(),
          email: z.string().max(254).optional(),
          environment: z.string().min(1).max(63).optional(),
          events: z.array(z.string().max(40)).max(10).optional(),
        })
        .strict(),
      success: { description: 'the subscription, and the signing secret of a webhook' },
      async handler({ body, principal, actor, reply }) {
        const added = await addSubscription(runtime, { webhook: body.webhook, email: body.email, env: body.environment, events: body.events }, who(principal, actor));
        return reply.status(201).send(added);
      },
    }),
    route({
      method: 'DELETE',
      url: '/api/notifications/:id',
      access: 'operate',
      tag: 'notifications',
      summary: 'Remove a subscription and its delivery log (audited)',
      params: idParams,
      success: { description: 'removed' },
      async handler({ params, principal, actor, reply }) {
        await removeSubscription(runtime, params.id, who(principal, actor));
        return reply.status(204).send();
      },
    }),
    route({
      method: 'POST',
      url: '/api/notifications/:id/test',
      access: 'operate',
      tag: 'notifications',
      summary: 'Send a test notification now, once, and answer what happened (audited)',
      params: idParams,
      success: { description: 'the test delivery: delivered, or failed with the receiver’s answer or why it could not be reached' },
      handler: async ({ params, principal, actor }) => testSubscription(runtime, params.id, who(principal, actor)),
    }),
    route({
      method: 'GET',
      url: '/api/notifications/:id/deliveries',
      access: 'operate',
      tag: 'notifications',
      summary: 'The delivery log of a subscription: its latest deliveries, newest first, with every attempt',
      params: idParams,
      query: z.object({ limit: z.coerce.number().int().min(1).max(200).default(20) }).strict(),
      success: { description: 'the deliveries' },
      handler: async ({ params, query }) => subscriptionDeliveries(runtime, params.id, query.limit),
    }),
  ];
}
