import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyCookie from '@fastify/cookie';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import Fastify, { type FastifyInstance } from 'fastify';
import { DataalmError, ERROR_CODES, RefusedError } from '../../domain/errors/dataalm-error.js';
import type { Principal } from '../../app/accounts.js';
import type { BackgroundRuns } from '../../app/refresh/background-runs.js';
import type { Runtime } from '../../app/runtime.js';
import { Redactor } from '../../domain/redaction.js';
import { type ApiRoute, openApiDocument, parsePart } from './api-route.js';
import { authenticate, authorize } from './auth.js';
import { accountRoutes } from './routes/account-routes.js';
import { environmentRoutes } from './routes/environment-routes.js';
import { assetRoutes } from './routes/asset-routes.js';
import { profileRoutes } from './routes/profile-routes.js';
import { operationRoutes } from './routes/operation-routes.js';
import { mirrorRoutes } from './routes/mirror-routes.js';
import { scheduleRoutes } from './routes/schedule-routes.js';
import { recurringJobsRoutes } from './routes/recurring-jobs-routes.js';
import { notificationRoutes } from './routes/notification-routes.js';

/** Where `npm run build` puts the web UI. */
const WEB_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'web');

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | undefined;
  }
}

export interface HttpServerOptions {
  readonly runs: BackgroundRuns;
  readonly version: string;
  /** Behind a reverse proxy: client address, host and scheme from X-Forwarded-* headers. */
  readonly trustProxy: boolean;
  /** Where unexpected errors are reported (their text is redacted first). */
  readonly onError: (message: string) => void;
}

/** The client's address for rate limits: an IPv6 /64 is one client, as providers hand them out. */
function clientKey(ip: string): string {
  if (!ip.includes(':') || ip.startsWith('::ffff:')) return ip.replace(/^::ffff:/, '');
  const groups = ip.split('::');
  const head = groups[0]!.split(':').filter(Boolean);
  const tail = groups.length > 1 ? groups[1]!.split(':').filter(Boolean) : [];
  const full = [...head, ...Array<string>(8 - head.length - tail.length).fill('0'), ...tail];
  return `${full.slice(0, 4).join(':')}::/64`;
}

/** Every API route, in the order the OpenAPI document lists them. */
export function apiRoutes(runtime: Runtime, runs: BackgroundRuns): ApiRoute[] {
  return [...accountRoutes(runtime), ...environmentRoutes(runtime), ...mirrorRoutes(runtime), ...recurringJobsRoutes(runtime), ...operationRoutes(runtime, runs), ...assetRoutes(runtime), ...profileRoutes(), ...scheduleRoutes(runtime), ...notificationRoutes(runtime)];
}

/**
 * The HTTP API and the web UI. Every route declares who may call it; requests are checked
 * against that (session cookie with a CSRF token, or a bearer token), validated with the
 * route's schemas, and answered with `{ error: { code, message, remedy } }` when refused.
 */
export async function buildHttpServer(runtime: Runtime, options: HttpServerOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: 1024 * 1024, forceCloseConnections: true, trustProxy: options.trustProxy });
  const redactor = new Redactor([]);
  const routes = apiRoutes(runtime, options.runs);
  const openapi = openApiDocument(routes, options.version);

  await app.register(fastifyCookie);
  await app.register(fastifyRateLimit, {
    global: false,
    // Enough room that made-up keys cannot push a real client's count out of memory.
    cache: 100_000,
    keyGenerator: (request) => clientKey(request.ip),
    errorResponseBuilder: (_request, context) =>
      Object.assign(
        new DataalmError('RATE_LIMITED', `too many requests from this address`, { remedy: `try again in ${Math.ceil(context.ttl / 1000)} s` }),
        { statusCode: 429 },
      ),
  });

  app.decorateRequest('principal', undefined);

  app.addHook('onSend', async (_request, reply, payload) => {
    void reply.header('x-content-type-options', 'nosniff');
    void reply.header('referrer-policy', 'same-origin');
    void reply.header('x-frame-options', 'DENY');
    void reply.header('content-security-policy', "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'");
    return payload;
  });

  app.setErrorHandler((error, request, reply) => {
    if (error instanceof RefusedError) return reply.status(409).send({ refused: true, reasons: error.reasons });
    if (error instanceof DataalmError) {
      if (error.retryAfterSeconds !== undefined) void reply.header('retry-after', String(error.retryAfterSeconds));
      return reply.status(ERROR_CODES[error.code].status).send({ error: { code: error.code, message: error.message, field: error.field, remedy: error.remedy } });
    }
    const { statusCode, message } = error as { statusCode?: number; message?: string };
    const status = statusCode ?? 500;
    if (status >= 500) options.onError(redactor.redact(`${request.method} ${request.url.split('?')[0]}: ${(error as Error).stack ?? String(error)}`));
    // Unexpected errors are not described to the client: their text may name internals.
    return reply.status(status).send({
      error: status < 500 ? { code: 'INVALID_INPUT', message: message ?? 'bad request' } : { code: 'INTERNAL', message: 'internal error' },
    });
  });

  app.get('/healthz', async (_request, reply) => {
    try {
      await runtime.pool.query('select 1');
      return { status: 'ok', controlDatabase: 'ok', embedded: runtime.embedded !== undefined };
    } catch {
      return reply.status(503).send({ status: 'unavailable', controlDatabase: 'unreachable' });
    }
  });
  app.get('/api/openapi.json', async () => openapi);

  for (const r of routes) {
    app.route({
      method: r.method,
      url: r.url,
      ...(r.rateLimit ? { config: { rateLimit: { max: r.rateLimit.max, timeWindow: r.rateLimit.windowMs } } } : {}),
      ...(r.bodyLimit ? { bodyLimit: r.bodyLimit } : {}),
      onRequest: async (request) => {
        request.principal = await authenticate(runtime, request);
        authorize(request, r.access, request.principal);
      },
      handler: async (request, reply) => {
        const principal = request.principal;
        return r.handler({
          request,
          reply,
          params: parsePart(r.params, request.params, 'path'),
          query: parsePart(r.query, request.query, 'query'),
          body: parsePart(r.body, request.body, 'body'),
          principal: principal as Principal,
          actor: { name: principal?.user.name ?? 'anonymous', origin: request.ip },
        });
      },
    });
  }

  app.all('/api/*', async (request) => {
    throw new DataalmError('NOT_FOUND', `no API route ${request.method} ${request.url.split('?')[0]} (see /api/openapi.json)`);
  });

  if (fs.existsSync(path.join(WEB_ROOT, 'index.html'))) {
    await app.register(fastifyStatic, { root: WEB_ROOT, prefix: '/', index: ['index.html'], wildcard: true });
    // The UI routes in the browser: any other page address gets the app.
    app.setNotFoundHandler((request, reply) => {
      if (request.method === 'GET' && !request.url.startsWith('/api/')) return reply.type('text/html').sendFile('index.html');
      return reply.status(404).send({ error: { code: 'NOT_FOUND', message: `nothing at ${request.method} ${request.url.split('?')[0]}` } });
    });
  } else {
    app.get('/', async (_request, reply) => reply.type('text/plain').send('The web UI is not built: run npm run build.\n'));
  }
  return app;
}
