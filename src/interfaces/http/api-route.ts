import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Actor } from '../../domain/actor.js';
import { type Permission, ROLES, can } from '../../domain/access.js';
import { DataalmError } from '../../domain/errors/dataalm-error.js';
import type { Principal } from '../../app/accounts.js';
import { ENDPOINTS, type Endpoint, type Success, errorAnswer, refusedAnswer } from '../../contract/index.js';

/**
 * Who may call a route: anyone, anyone signed in, or holders of one permission. Each route
 * names one, and the same declaration drives the check, the OpenAPI document and its
 * `x-roles` list.
 */
export type Access = 'public' | 'signed-in' | Permission;

export interface RouteContext<P, Q, B> {
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  /** Present on every route but a public one. */
  readonly principal: Principal;
  /** The signed-in user and the client's address, for the audit log. */
  readonly actor: Actor;
}

export interface ApiRoute<P = unknown, Q = unknown, B = unknown> {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Fastify syntax: `/api/environments/:name`. */
  readonly url: string;
  readonly access: Access;
  readonly summary: string;
  readonly tag: string;
  readonly params?: z.ZodType<P>;
  readonly query?: z.ZodType<Q>;
  readonly body?: z.ZodType<B>;
  /** Requests per client address (an IPv6 /64 counts as one) within the window, then 429. */
  readonly rateLimit?: { readonly max: number; readonly windowMs: number };
  /** Largest request body in bytes, where a route takes more than the service's 1 MiB. */
  readonly bodyLimit?: number;
  /** What a successful answer means; its status and shape are the contract's (src/contract/endpoints.ts). */
  readonly success: { readonly description: string };
  handler(context: RouteContext<P, Q, B>): Promise<unknown>;
}

/** Keeps the type parameters of one route together while a list holds routes of all kinds. */
export function route<P = unknown, Q = unknown, B = unknown>(spec: ApiRoute<P, Q, B>): ApiRoute {
  return spec as unknown as ApiRoute;
}

/** Parses one part of a request with its schema; the first problem becomes INVALID_INPUT naming the field. */
export function parsePart<T>(schema: z.ZodType<T> | undefined, value: unknown, part: string): T {
  if (schema === undefined) return undefined as T;
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const field = issue.path.join('.');
  throw new DataalmError('INVALID_INPUT', `${field || part}: ${issue.message}`, { field: field || part });
}

/** The roles a route admits, as the OpenAPI document lists them. */
export function rolesFor(access: Access): readonly string[] {
  if (access === 'public') return ['anonymous', ...ROLES];
  if (access === 'signed-in') return ROLES;
  return ROLES.filter((role) => can(role, access));
}

/** The contract's successful answer of a route; a route the contract does not name is a mistake caught at startup. */
function answerOf(r: Pick<ApiRoute, 'method' | 'url'>): Success {
  const answer = (ENDPOINTS as Record<string, Success>)[`${r.method} ${r.url}`];
  if (!answer) throw new Error(`${r.method} ${r.url} is not in the API contract (src/contract/endpoints.ts)`);
  return answer;
}

/** Every route is in the contract and every endpoint of the contract has its route. */
function checkContract(routes: readonly ApiRoute[]): void {
  for (const r of routes) answerOf(r);
  const declared = new Set(routes.map((r) => `${r.method} ${r.url}`));
  const missing = (Object.keys(ENDPOINTS) as Endpoint[]).filter((key) => !declared.has(key));
  if (missing.length > 0) throw new Error(`the API contract names endpoints no route serves: ${missing.join(', ')}`);
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

/** OpenAPI 3.1 (whose schemas are JSON Schema 2020-12, what zod emits) of the given routes. */
export function openApiDocument(routes: readonly ApiRoute[], version: string): Record<string, unknown> {
  checkContract(routes);
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const answer = answerOf(r);
    const path = r.url.replace(/:([A-Za-z]+)/g, '{$1}');
    const parameters: unknown[] = [];
    for (const [where, schema] of [
      ['path', r.params],
      ['query', r.query],
    ] as const) {
      if (!schema) continue;
      const object = jsonSchema(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] };
      for (const [name, property] of Object.entries(object.properties ?? {})) {
        parameters.push({ name, in: where, required: where === 'path' || (object.required ?? []).includes(name), schema: property });
      }
    }
    const responses: Record<string, unknown> = {
      [String(answer.status)]: {
        description: r.success.description,
        ...(answer.schema || answer.contentType
          ? { content: { [answer.contentType ?? 'application/json']: { schema: answer.schema ? jsonSchema(answer.schema, 'output') : { type: 'string' } } } }
          : {}),
      },
      default: { description: 'an error: a stable code, a message and, where there is one, a remedy', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
    };
    if (r.access !== 'public') {
      responses['401'] = { description: 'UNAUTHENTICATED: no valid session or token', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
    }
    if (r.access !== 'public' && r.access !== 'signed-in') {
      responses['403'] = { description: 'FORBIDDEN: the role may not do this', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
    }
    if (r.method === 'POST' && (r.tag === 'operations' || r.url === '/api/schedules')) {
      responses['409'] = { description: 'REFUSED: a rule forbids it; nothing changed', content: { 'application/json': { schema: { $ref: '#/components/schemas/Refused' } } } };
    }
    paths[path] ??= {};
    paths[path][r.method.toLowerCase()] = {
      summary: r.summary,
      tags: [r.tag],
      operationId: `${r.method.toLowerCase()}${path.replace(/[{}]/g, '').replace(/(^|[/-])(\w)/g, (_m, _s, c: string) => c.toUpperCase())}`,
      'x-roles': rolesFor(r.access),
      ...(r.access === 'public' ? { security: [] } : {}),
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(r.body, 'input') } } } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'dataalm',
      version,
      description:
        'Refresh sandbox PostgreSQL environments from production. Sign in with POST /api/session (a cookie; send its csrfToken as X-CSRF-Token on every POST, PUT, PATCH and DELETE), or send an API token as "Authorization: Bearer <token>".',
    },
    security: [{ session: [] }, { token: [] }],
    components: {
      securitySchemes: {
        session: { type: 'apiKey', in: 'cookie', name: 'dataalm_session' },
        token: { type: 'http', scheme: 'bearer' },
      },
      schemas: { Error: jsonSchema(errorAnswer, 'output'), Refused: jsonSchema(refusedAnswer, 'output') },
    },
    paths,
  };
}
