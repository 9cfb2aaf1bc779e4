import type { Command } from 'commander';
import { DataalmError } from '../../domain/errors/dataalm-error.js';
import { BackgroundRuns } from '../../app/refresh/background-runs.js';
import { startOperationWorker } from '../../app/worker/operation-worker.js';
import { REPEATED_SIGNAL_MS, withRuntime } from './command-context.js';

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run operations from the queue (as dataalm start does), until stopped; start several, on several hosts, against one control database')
    .option('--concurrency <N>', 'operations run at once (default DATAALM_WORKER_CONCURRENCY, 2)')
    .addHelpText(
      'after',
      `
A worker also takes over an operation whose runner went silent for DATAALM_LEASE_SECONDS
(60): a worker or a CLI that died. It resumes from the step it had reached; the takeover
is in the runbook log. Ctrl-C or SIGTERM stops taking operations and cancels the ones
running here before their cutover (a cutover in progress finishes first).`,
    )
    .action(async (o: { concurrency?: string }) => {
      let stop: (() => void) | undefined;
      let stopAskedAt = 0;
      const onLine = (line: string) => process.stderr.write(`dataalm: ${line}\n`);
      await withRuntime(
        {},
        async (runtime) => {
          const concurrency = o.concurrency === undefined ? runtime.config.workerConcurrency : Number(o.concurrency);
          if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 32) {
            throw new DataalmError('INVALID_INPUT', 'concurrency (--concurrency): a whole number from 1 to 32', { field: 'concurrency' });
          }
          const runs = new BackgroundRuns();
          const worker = await startOperationWorker(runtime, runs, { concurrency, onLine });
          process.stderr.write(`Worker ${worker.id} is running ${concurrency} operation(s) at a time (Ctrl-C stops it).\n`);
          await new Promise<void>((resolve) => (stop = resolve));
          if (runs.size > 0) process.stderr.write(`dataalm: canceling ${runs.size} running operation(s)\n`);
          await worker.stop();
        },
        {
          superviseServer: onLine,
          onSignal: (signal) => {
            // The same stop request again (a process group's signal forwarded by a parent).
            if (!stop) return Date.now() - stopAskedAt < REPEATED_SIGNAL_MS;
            process.stderr.write(`\ndataalm: ${signal} received, stopping the worker (again to stop at once)\n`);
            stopAskedAt = Date.now();
            const resolve = stop;
            stop = undefined;
            resolve();
            return true;
          },
        },
      );
    });
}
