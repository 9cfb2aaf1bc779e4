import type { FastifyReply } from 'fastify';
import type { Shape, operationEvents } from '../../contract/index.js';
import { ACTIVE_STATES } from '../../domain/operation.js';
import type { BackgroundRuns } from '../../app/refresh/background-runs.js';
import type { Runtime } from '../../app/runtime.js';

/** How often the stream looks at the operation in the control database. */
const POLL_MS = 400;
/** A comment line now and then keeps proxies from closing a quiet stream. */
const KEEPALIVE_MS = 15_000;
/** How often the stream checks that the caller may still read, and that the operation's process lives. */
const RECHECK_MS = 10_000;
/** At most this many data-progress events per second reach a client. */
const PROGRESS_EVERY_MS = 250;

/**
 * Server-sent events of one operation. State, steps and log come from the control
 * database, so the stream shows an operation whichever process runs it (the CLI, this
 * service, another host); the copy's byte-level progress comes live from this process when
 * it runs the operation.
 */
export async function streamOperation(
  runtime: Runtime,
  runs: BackgroundRuns,
  id: number,
  reply: FastifyReply,
  /** Whether the caller may still read it (signed out, revoked, removed: the stream ends). */
  allowed: () => Promise<boolean>,
): Promise<void> {
  reply.hijack();
  const out = reply.raw;
  out.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  let closed = false;
  const send = <E extends keyof typeof operationEvents>(event: E, data: Shape<(typeof operationEvents)[E]>) => {
    if (!closed) out.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  let lastProgress = 0;
  // A step or log event of a run in this process wakes the loop at once, so no step is missed.
  let wake: () => void = () => {};
  const unsubscribe = runs.subscribe(id, (event) => {
    if (event.type !== 'progress') return wake();
    if (Date.now() - lastProgress < PROGRESS_EVERY_MS) return;
    lastProgress = Date.now();
    send('progress', {
      step: event.step,
      done: event.bytes,
      total: event.bytesTotal,
      rows: event.rows,
      tablesDone: event.tablesDone,
      tablesTotal: event.tablesTotal,
      mbPerSecond: event.mbPerSecond,
      etaSeconds: event.etaSeconds,
      detail: event.lastTable,
    });
  });
  const keepalive = setInterval(() => !closed && out.write(': keepalive\n\n'), KEEPALIVE_MS);
  const finished = new Promise<void>((resolve) => {
    // The response's close, not the request's: a GET's request is "closed" once read.
    out.once('close', () => {
      closed = true;
      resolve();
    });
  });
  let lastJson = '';
  let lastLog = 0;
  let lastCheck = Date.now();
  try {
    while (!closed) {
      if (Date.now() - lastCheck > RECHECK_MS) {
        lastCheck = Date.now();
        if (!(await allowed())) break;
        // Watching changes nothing: an operation whose process died is ended by a worker's sweep.
      }
      const operation = await runtime.operations.get(id);
      const json = JSON.stringify(operation);
      if (json !== lastJson) send('operation', operation);
      lastJson = json;
      const { lines, last } = await runtime.operations.logsAfter(id, lastLog);
      for (const line of lines) send('log', { at: line.at, step: line.step, level: line.level, message: line.message });
      lastLog = last;
      if (!ACTIVE_STATES.includes(operation.state)) {
        send('end', operation);
        break;
      }
      await Promise.race([
        finished,
        new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, POLL_MS);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        }),
      ]);
      wake = () => {};
    }
  } catch {
    send('error', { code: 'INTERNAL', message: 'the stream stopped; reload to follow the operation again' });
  } finally {
    clearInterval(keepalive);
    unsubscribe();
    closed = true;
    out.end();
  }
}
