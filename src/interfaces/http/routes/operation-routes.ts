import { z } from 'zod';
import { ACTIVE_STATES } from '../../../domain/operation.js';
import { DataalmError } from '../../../domain/errors/dataalm-error.js';
import type { BackgroundRuns } from '../../../app/refresh/background-runs.js';
import { cancelOperation, requestRestore, rollbackOperation } from '../../../app/refresh/operation-actions.js';
import { requestRefresh } from '../../../app/refresh/refresh-service.js';
import { enqueueOperation } from '../../../app/worker/operation-worker.js';
import type { Runtime } from '../../../app/runtime.js';
import { logText } from '../../../app/refresh/log-text.js';
import { type ApiRoute, route } from '../api-route.js';
import { idParams, nameParams } from '../params.js';
import { streamOperation } from '../operation-stream.js';
import { authenticate } from '../auth.js';
import { can } from '../../../domain/access.js';

export function operationRoutes(runtime: Runtime, runs: BackgroundRuns): ApiRoute[] {
  return [
    route({
      method: 'POST',
      url: '/api/refreshes',
      access: 'operate',
      tag: 'operations',
      summary: "Start a refresh of the target from the source (queued for a worker); the person must have seen the preview and acknowledged that the target's data is replaced",
      body: z
        .object({
          source: z.string().min(1),
          target: z.string().min(1),
          acknowledge: z.literal(true, { message: "must be true: the target's databases are replaced" }),
          jobs: z.number().int().min(1).max(64).default(2),
          verify: z.enum(['counts', 'checksums']).default('counts'),
        })
        .strict(),
      success: { description: 'queued; it runs in the service (follow /api/operations/{id}/events)' },
      async handler({ body, actor, reply }) {
        const id = await requestRefresh(runtime, { source: body.source, target: body.target, jobs: body.jobs, verify: body.verify, actor });
        await enqueueOperation(runtime, id);
        return reply.status(202).send({ operation: await runtime.operations.get(id) });
      },
    }),
    route({
      method: 'POST',
      url: '/api/environments/:name/restore',
      access: 'operate',
      tag: 'operations',
      summary: "Bring back the environment's databases as they were before an operation (its breadcrumbs): how a succeeded refresh is undone",
      params: nameParams,
      body: z.object({ operation: z.number().int().positive() }).strict(),
      success: { description: 'queued' },
      async handler({ params, body, actor, reply }) {
        const id = await requestRestore(runtime, params.name, body.operation, actor);
        await enqueueOperation(runtime, id);
        return reply.status(202).send({ operation: await runtime.operations.get(id) });
      },
    }),
    route({
      method: 'GET',
      url: '/api/operations',
      access: 'read',
      tag: 'operations',
      summary: 'The latest operations, newest first',
      query: z.object({ environment: z.string().optional(), limit: z.coerce.number().int().min(1).max(500).default(50) }),
      success: { description: 'operations' },
      async handler({ query }) {
        return runtime.operations.list({ ...(query.environment ? { environment: query.environment } : {}), limit: query.limit });
      },
    }),
    route({
      method: 'GET',
      url: '/api/operations/:id',
      access: 'read',
      tag: 'operations',
      summary: 'One operation: steps with times and counters, offline window, verification report, error',
      params: idParams,
      success: { description: 'the operation' },
      async handler({ params }) {
        return runtime.operations.get(params.id);
      },
    }),
    route({
      method: 'GET',
      url: '/api/operations/:id/events',
      access: 'read',
      tag: 'operations',
      summary:
        'Live progress as server-sent events: "operation" (the whole operation, at first and on each change), "log" (each runbook line), "progress" (the data copy), then "end"',
      params: idParams,
      success: { description: 'an event stream that ends when the operation does' },
      async handler({ params, request, reply }) {
        await runtime.operations.get(params.id);
        const allowed = async () => {
          const principal = await authenticate(runtime, request).catch(() => undefined);
          return principal !== undefined && can(principal.user.role, 'read');
        };
        await streamOperation(runtime, runs, params.id, reply, allowed);
      },
    }),
    route({
      method: 'GET',
      url: '/api/operations/:id/logs',
      access: 'read',
      tag: 'operations',
      summary: 'Download the runbook log (text, or JSON lines with ?format=json); no secrets; also after a rollback',
      params: idParams,
      query: z.object({ format: z.enum(['text', 'json']).default('text') }),
      success: { description: 'the log as a file' },
      async handler({ params, query, reply }) {
        await runtime.operations.get(params.id);
        const lines = await runtime.operations.logs(params.id);
        const json = query.format === 'json';
        return reply
          .header('content-type', json ? 'application/x-ndjson; charset=utf-8' : 'text/plain; charset=utf-8')
          .header('content-disposition', `attachment; filename="operation-${params.id}.${json ? 'jsonl' : 'log'}"`)
          .send(json ? lines.map((l) => `${JSON.stringify(l)}\n`).join('') : logText(lines));
      },
    }),
    route({
      method: 'GET',
      url: '/api/operations/:id/verification',
      access: 'read',
      tag: 'operations',
      summary: 'The verification report: each profile rule, sanitize rule and row count, checked before the cutover',
      params: idParams,
      success: { description: 'the report' },
      async handler({ params }) {
        const operation = await runtime.operations.get(params.id);
        if (!operation.verification) {
          throw new DataalmError('NOT_FOUND', `operation ${params.id} has no verification report${ACTIVE_STATES.includes(operation.state) ? ' yet' : ''}`, { field: 'id' });
        }
        return operation.verification;
      },
    }),
    route({
      method: 'POST',
      url: '/api/operations/:id/rollback',
      access: 'operate',
      tag: 'operations',
      summary: 'Undo a failed operation: before its cutover the staging databases are dropped, after it the breadcrumbs are swapped back',
      params: idParams,
      success: { description: 'rolled back' },
      handler: async ({ params, actor }) => rollbackOperation(runtime, params.id, actor),
    }),
    route({
      method: 'POST',
      url: '/api/operations/:id/cancel',
      access: 'operate',
      tag: 'operations',
      summary: 'Stop a queued or running operation before its cutover; answers when it has stopped (or after 30 s)',
      params: idParams,
      success: { description: 'the operation (canceled, or still stopping)' },
      handler: async ({ params, actor }) => cancelOperation(runtime, params.id, actor, 30_000),
    }),
  ];
}
