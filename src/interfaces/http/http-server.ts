import Fastify, { type FastifyInstance } from 'fastify';
import { DataalmError, ERROR_CODES } from '../../domain/errors/dataalm-error.js';
import type { Runtime } from '../../app/runtime.js';
import { environmentJson } from '../cli/environment-view.js';

/** The HTTP API. Routes call the runtime's stores; errors become `{ error: { code, message } }`. */
export function buildHttpServer(runtime: Runtime): FastifyInstance {
  const app = Fastify({ logger: false });

  app.setErrorHandler((error, _request, reply) => {
    if (error instanceof DataalmError) {
      void reply.status(ERROR_CODES[error.code].status).send({ error: { code: error.code, message: error.message, field: error.field } });
      return;
    }
    const { statusCode, message } = error as { statusCode?: number; message?: string };
    const status = statusCode ?? 500;
    // Unexpected errors are not described to the client: their text may name internals.
    void reply.status(status).send({
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

  app.get('/api/environments', async () => (await runtime.environments.list()).map((e) => environmentJson(e)));

  app.get<{ Params: { name: string } }>('/api/environments/:name', async (request) => {
    const environment = await runtime.environments.get(request.params.name);
    return environmentJson(environment, await runtime.environments.history(environment.name));
  });

  return app;
}
