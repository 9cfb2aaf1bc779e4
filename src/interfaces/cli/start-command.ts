import type { Command } from 'commander';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config/config.js';
import { DataalmError } from '../../domain/errors/dataalm-error.js';
import { createDemo } from '../../app/demo-project.js';
import { type Runtime, openRuntime } from '../../app/runtime.js';
import { pruneBreadcrumbs } from '../../app/refresh/breadcrumbs.js';
import { reapAbandoned } from '../../app/refresh/abandoned.js';
import { ensureFirstOwner } from '../../app/accounts.js';
import { BackgroundRuns } from '../../app/refresh/background-runs.js';
import { type OperationWorker, startOperationWorker } from '../../app/worker/operation-worker.js';
import { packageVersion } from './package-version.js';
import { REPEATED_SIGNAL_MS, STOP_SIGNALS, announceNewProject, configOrExit, reportError } from './command-context.js';
import { ProgressReporter } from './progress-reporter.js';
import { checkMirrors } from '../../app/mirror-service.js';

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('run the dataalm service in the foreground (HTTP API; the embedded PostgreSQL unless DATAALM_DATABASE_URL is set)')
    .option('--no-worker', 'do not run operations in this process (dataalm worker processes run them)')
    .action(async (o: { worker: boolean }) => {
      const config = configOrExit({});
      if (config) await runService(config, o.worker);
    });
}

/**
 * Runs until SIGINT/SIGTERM, then cancels the operations running here, closes HTTP and the
 * runtime (stopping an embedded server) and exits. A second request to stop (not the same
 * signal forwarded by npm) stops waiting for the operations: they stay running, and a worker
 * takes them over once their lease expires. Either way the embedded server is stopped before
 * the process exits.
 */
async function runService(config: Config, withWorker: boolean): Promise<void> {
  let runtime: Runtime | undefined;
  let app: FastifyInstance | undefined;
  let runs: BackgroundRuns | undefined;
  let worker: OperationWorker | undefined;
  let signalled: NodeJS.Signals | undefined;
  let signalledAt = 0;
  let stopping: Promise<void> | undefined;
  let hurry = () => {};
  const hurried = new Promise<void>((resolve) => (hurry = resolve));
  // Runs once, whether reached from the signal handler or from the work it interrupted.
  const shutdown = (): Promise<void> =>
    (stopping ??= (async () => {
      // Operations this process runs are canceled cleanly (a cutover in progress finishes).
      if (runs && runs.size > 0) process.stderr.write(`dataalm: canceling ${runs.size} running operation(s)\n`);
      const operations = Promise.all([worker?.stop(), runs?.stopAll()]).catch(() => {});
      await Promise.race([operations, hurried]);
      // Open event streams would keep a graceful close waiting.
      await Promise.race([app?.close().catch(() => {}), hurried, delay(HTTP_CLOSE_MS)]);
      await runtime?.abort().catch(() => {});
      process.exit(0);
    })());
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) {
      if (Date.now() - signalledAt < REPEATED_SIGNAL_MS) return;
      process.stderr.write(`dataalm: ${signal} received again: not waiting for the running operations (a worker takes them over); stopping\n`);
      hurry();
      return;
    }
    signalled = signal;
    signalledAt = Date.now();
    process.stderr.write(`dataalm: ${signal} received, shutting down\n`);
    // While the runtime is still opening, shutdown happens as soon as it is open (below).
    if (runtime) void shutdown();
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  try {
    runtime = await openRuntime(config, { superviseServer: (line) => process.stderr.write(`dataalm: ${line}\n`) });
    announceNewProject(config, runtime);
    if (signalled) return shutdown();
    if (runtime.embedded) {
      process.stderr.write(`Embedded PostgreSQL on 127.0.0.1:${runtime.embedded.port} (admin URL in ${config.home}/embedded.json)\n`);
      if (config.demo && (await runtime.settings.get('demo')) === undefined) await createDemoOnFirstStart(runtime, config);
    }
    const owner = await ensureFirstOwner(runtime);
    if (owner?.generatedPassword) {
      process.stdout.write(
        `First start: created the project owner "${owner.name}" with the password ${owner.generatedPassword}\n` +
          '  It is shown only this once. Change it with: dataalm user set-password admin (or set DATAALM_ADMIN_PASSWORD before the first start).\n',
      );
    } else if (owner) process.stdout.write(`First start: created the project owner "${owner.name}" (password from DATAALM_ADMIN_PASSWORD).\n`);
    runs = new BackgroundRuns();
    // Ready before the port answers, so "running" means able to run operations too; every
    // failure path below stops it again.
    if (withWorker) {
      worker = await startOperationWorker(runtime, runs, {
        concurrency: config.workerConcurrency,
        onLine: (line) => process.stderr.write(`dataalm: ${line}\n`),
      });
    }
    // Loaded here: the web framework is for this command only, not every short command.
    const { buildHttpServer } = await import('../http/http-server.js');
    app = await buildHttpServer(runtime, {
      runs,
      version: packageVersion(),
      trustProxy: config.trustProxy,
      onError: (message) => process.stderr.write(`dataalm: unexpected error in the HTTP API: ${message}\n`),
    });
    await app.listen({ host: config.httpHost, port: config.httpPort }).catch((cause: { code?: string }) => {
      if (cause.code !== 'EADDRINUSE') throw cause;
      throw new DataalmError('CONFIGURATION', `HTTP port ${config.httpHost}:${config.httpPort} is already in use`, {
        field: 'DATAALM_PORT',
        remedy: 'stop the other program or set DATAALM_PORT to a free port',
        cause,
      });
    });
    process.stdout.write(`dataalm is running at http://${config.httpHost}:${config.httpPort}/ (Ctrl-C stops it)\n`);
    startHousekeeping(runtime);
  } catch (error) {
    if (signalled) return shutdown();
    reportError(error, {});
    await worker?.stop().catch(() => {});
    await app?.close().catch(() => {});
    await runtime?.close().catch(() => {});
    for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
  }
}

async function createDemoOnFirstStart(runtime: Runtime, config: Config): Promise<void> {
  const progress = new ProgressReporter({ enabled: true });
  progress.step(`First start: creating the demo project (scale ${config.demoScale})`);
  await createDemo(runtime, {
    scale: config.demoScale,
    reset: false,
    onStep: (m) => progress.step(`  ${m}`),
    onProgress: (e) => progress.update(`${e.environment} ${e.role}`, e.done, e.total, e.table),
  });
  progress.finish();
}

/** How long closing the HTTP server may wait for open requests. */
const HTTP_CLOSE_MS = 5000;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** How often the service drops expired breadcrumbs and ends operations whose process stopped. */
const HOUSEKEEPING_MS = 60 * 60 * 1000;

function startHousekeeping(runtime: Runtime): void {
  const run = async () => {
    await reapAbandoned(runtime);
    const dropped = await pruneBreadcrumbs(runtime);
    if (dropped.length > 0) process.stderr.write(`dataalm: dropped ${dropped.length} expired breadcrumb(s): ${dropped.join(', ')}\n`);
  };
  const tick = () => void run().catch((error: Error) => process.stderr.write(`dataalm: housekeeping failed: ${error.message}\n`));
  tick();
  setInterval(tick, HOUSEKEEPING_MS).unref();
  // Mirrors more often: a slot past its lag limit fills the source's disk.
  let checking = false;
  const mirrors = () => {
    if (checking) return;
    checking = true;
    void checkMirrors(runtime, (line) => process.stderr.write(`dataalm: ${line}\n`))
      .catch((error: Error) => process.stderr.write(`dataalm: mirror check failed: ${error.message}\n`))
      .finally(() => (checking = false));
  };
  setInterval(mirrors, runtime.config.mirrorCheckSeconds * 1000).unref();
}
