import type { Command } from 'commander';
import { createDemo } from '../../app/demo-project.js';
import { type Runtime, openRuntime } from '../../app/runtime.js';
import { buildHttpServer } from '../http/http-server.js';
import { configOrExit, reportError } from './command-context.js';
import { ProgressReporter } from './progress-reporter.js';

export function registerStartCommand(program: Command): void {
  program
    .command('start')
    .description('run the dataalm service in the foreground (HTTP API; the embedded PostgreSQL unless DATAALM_DATABASE_URL is set)')
    .action(async () => {
      const config = configOrExit({});
      if (!config) return;
      let runtime: Runtime | undefined;
      let closing: Promise<void> | undefined;
      const shutdown = (signal: NodeJS.Signals) => {
        closing ??= (async () => {
          process.stderr.write(`dataalm: ${signal} received, shutting down\n`);
          await app?.close().catch(() => {});
          await runtime?.close().catch(() => {});
          process.exit(0);
        })();
      };
      process.on('SIGINT', shutdown);
      process.on('SIGTERM', shutdown);
      let app: ReturnType<typeof buildHttpServer> | undefined;
      try {
        runtime = await openRuntime(config);
        if (runtime.embedded) {
          process.stderr.write(`Embedded PostgreSQL on 127.0.0.1:${runtime.embedded.port} (admin URL in ${config.home}/embedded.json)\n`);
          if (config.demo && (await runtime.settings.get('demo')) === undefined) {
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
        }
        app = buildHttpServer(runtime);
        await app.listen({ host: config.httpHost, port: config.httpPort });
        process.stdout.write(`dataalm is running at http://${config.httpHost}:${config.httpPort}/ (Ctrl-C stops it)\n`);
      } catch (error) {
        const listenTaken = (error as { code?: string }).code === 'EADDRINUSE';
        reportError(
          listenTaken ? new Error(`port ${config.httpPort} is already in use (set DATAALM_PORT to another port)`) : error,
          {},
        );
        await app?.close().catch(() => {});
        await runtime?.close().catch(() => {});
        process.exitCode ||= 1;
      }
    });
}
