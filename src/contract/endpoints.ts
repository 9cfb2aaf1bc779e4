import { z } from 'zod';
import { apiToken, auditEntry, newApiToken, session, user } from './accounts.js';
import { asset, assetDetails, environmentPackage, scaleUnitRecord, sharedAsset } from './assets.js';
import { accessPolicy, breadcrumb, credentials, environment, environmentDetails, refreshPreview, refreshSource } from './environments.js';
import { mirrorRemoved, mirrorStatus } from './mirrors.js';
import { newNotificationSubscription, notificationDelivery, notificationSubscription } from './notifications.js';
import { operation, queued, verificationReport } from './operations.js';
import { transformerList } from './profiles.js';
import { schedule, scheduleRun } from './schedules.js';
import { recurringJobs, recurringJobsStopped } from './recurring-jobs.js';
import type { Shape } from './shape.js';

/** A successful answer: its status and, for JSON, its schema; or another content type. */
export interface Success {
  readonly status: number;
  readonly schema?: z.ZodType;
  /** When the answer is not JSON: a file, an event stream (see operationEvents). */
  readonly contentType?: string;
}

const json = <S extends z.ZodType>(status: number, schema: S) => ({ status, schema }) as const;
const empty = { status: 204 } as const;

/**
 * Every route of the HTTP API by method and path (Fastify syntax), with its successful
 * answer. The server's routes take their answers from here (and the OpenAPI document from
 * them), the remote CLI and the web UI read the answers' types from here, and the HTTP tests
 * check every answer they get against it.
 */
export const ENDPOINTS = {
  'POST /api/session': json(200, session),
  'GET /api/session': json(200, session),
  'DELETE /api/session': empty,
  'POST /api/session/password': empty,
  'GET /api/users': json(200, z.array(user)),
  'POST /api/users': json(201, user),
  'PATCH /api/users/:name': json(200, user),
  'DELETE /api/users/:name': empty,
  'GET /api/tokens': json(200, z.array(apiToken)),
  'POST /api/tokens': json(201, newApiToken),
  'DELETE /api/tokens/:id': empty,
  'GET /api/audit': json(200, z.array(auditEntry)),

  'GET /api/environments': json(200, z.array(environment)),
  'POST /api/environments': json(201, environment),
  'GET /api/environments/:name': json(200, environmentDetails),
  'PATCH /api/environments/:name': json(200, environment),
  'DELETE /api/environments/:name': empty,
  'GET /api/environments/:name/credentials': json(200, credentials),
  'GET /api/environments/:name/access-policy': json(200, accessPolicy),
  'PUT /api/environments/:name/access-policy': json(200, accessPolicy),
  'GET /api/environments/:name/breadcrumbs': json(200, z.array(breadcrumb)),
  'GET /api/environments/:name/refresh-sources': json(200, z.array(refreshSource)),
  'GET /api/environments/:name/refresh-preview': json(200, refreshPreview),
  'POST /api/environments/:name/redeploy-scale-unit': json(200, scaleUnitRecord),
  'GET /api/environments/:name/mirror': json(200, mirrorStatus),
  'POST /api/environments/:name/mirror': json(202, mirrorStatus),
  'POST /api/environments/:name/mirror/resync': json(202, mirrorStatus),
  'POST /api/environments/:name/mirror/spare': json(202, mirrorStatus),
  'DELETE /api/environments/:name/mirror': json(200, mirrorRemoved),
  'GET /api/environments/:name/recurring-jobs': json(200, recurringJobs),
  'POST /api/environments/:name/recurring-jobs/stop': json(200, recurringJobsStopped),

  'POST /api/refreshes': json(202, queued),
  'POST /api/environments/:name/restore': json(202, queued),
  'POST /api/environments/:name/apply': json(202, queued),
  'GET /api/operations': json(200, z.array(operation)),
  'GET /api/operations/:id': json(200, operation),
  'GET /api/operations/:id/events': { status: 200, contentType: 'text/event-stream' },
  'GET /api/operations/:id/logs': { status: 200, contentType: 'text/plain' },
  'GET /api/operations/:id/verification': json(200, verificationReport),
  'POST /api/operations/:id/rollback': json(200, operation),
  'POST /api/operations/:id/cancel': json(200, operation),

  'GET /api/assets': json(200, z.array(asset)),
  'GET /api/assets/shared': json(200, z.array(sharedAsset)),
  'POST /api/assets': json(201, asset),
  'GET /api/assets/:id': json(200, assetDetails),
  'GET /api/environments/:name/packages': json(200, z.array(environmentPackage)),

  'GET /api/profile/transformers': json(200, transformerList),

  'GET /api/schedules': json(200, z.array(schedule)),
  'POST /api/schedules': json(201, schedule),
  'DELETE /api/schedules/:id': empty,
  'POST /api/schedules/:id/pause': json(200, schedule),
  'POST /api/schedules/:id/resume': json(200, schedule),
  'GET /api/schedules/:id/runs': json(200, z.array(scheduleRun)),
  'GET /api/notifications': json(200, z.array(notificationSubscription)),
  'POST /api/notifications': json(201, newNotificationSubscription),
  'DELETE /api/notifications/:id': empty,
  'POST /api/notifications/:id/test': json(200, notificationDelivery),
  'GET /api/notifications/:id/deliveries': json(200, z.array(notificationDelivery)),
} as const satisfies Record<string, Success>;

export type Endpoint = keyof typeof ENDPOINTS;

/** The body of an endpoint's successful answer (undefined for 204 and non-JSON answers). */
export type ResponseOf<E extends Endpoint> = (typeof ENDPOINTS)[E] extends { readonly schema: infer S extends z.ZodType } ? Shape<S> : undefined;

/** The endpoint a request names, matching `:param` segments; undefined when it names none. */
export function endpointOf(method: string, pathname: string): Endpoint | undefined {
  const segments = pathname.split('/');
  return (Object.keys(ENDPOINTS) as Endpoint[]).find((key) => {
    const [keyMethod, url] = key.split(' ') as [string, string];
    const pattern = url.split('/');
    return keyMethod === method && pattern.length === segments.length && pattern.every((part, i) => part.startsWith(':') || part === segments[i]);
  });
}
