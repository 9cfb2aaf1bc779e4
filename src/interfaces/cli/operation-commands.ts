import { localActor } from './local-actor.js';
import { spareInBackground } from './mirror-commands.js';
import fs from 'node:fs';
import os from 'node:os';
import readline from 'node:readline/promises';
import { type Command, Option } from 'commander';
import { DataalmError } from '../../domain/errors/dataalm-error.js';
import type { Operation, RefreshPreview } from '../../contract/index.js';
import { cancelOperation, rollbackOperation } from '../../app/refresh/operation-actions.js';
import { runOperation } from '../../app/runbook/engine.js';
import { previewRefresh, requestRefresh } from '../../app/refresh/refresh-service.js';
import { enqueueOperation } from '../../app/worker/operation-worker.js';
import { reapAbandoned } from '../../app/refresh/abandoned.js';
import { printJson, withBackend } from './command-context.js';
import { logText, operationDetails, operationTable, previewText } from './operation-view.js';
import { ProgressReporter } from './progress-reporter.js';
import { finishOperation, followRemote, showRunEvent } from './operation-output.js';


interface RefreshFlags {
  source: string;
  target: string;
  dryRun?: boolean;
  yes?: boolean;
  detach?: boolean;
  jobs: string;
  verify: 'counts' | 'checksums';
  json?: boolean;
}

export function parseOperationId(text: string): number {
  if (!/^\d{1,15}$/.test(text)) throw new DataalmError('INVALID_INPUT', `ID: "${text}" is not an operation id (a number, see dataalm op list)`, { field: 'id' });
  return Number(text);
}

/** A refresh queued with --detach: its id, and how to follow it. */
function reportDetached(operation: Operation, flags: { json?: boolean }): void {
  if (flags.json) printJson(operation);
  else process.stdout.write(`Operation ${operation.id} queued: refresh of ${operation.environment} from ${operation.source}. Follow it with dataalm op show ${operation.id}.\n`);
}

function parseJobs(text: string): number {
  const jobs = Number(text);
  if (!(Number.isInteger(jobs) && jobs >= 1 && jobs <= 64)) {
    throw new DataalmError('INVALID_INPUT', 'jobs (--jobs): must be a whole number from 1 to 64', { field: 'jobs' });
  }
  return jobs;
}

/**
 * Shows the preview (--dry-run), or the refusal, or asks the person to type the target's
 * name; true when the refresh may start. Sets the exit status when it may not.
 */
async function confirmRefresh(preview: RefreshPreview, flags: RefreshFlags, controller: AbortController): Promise<boolean> {
  const reasonLines = () => preview.reasons.map((r) => `dataalm: refused: ${r.message} [${r.code}]\n  remedy: ${r.remedy}\n`).join('');
  const printReasons = () => process.stderr.write(reasonLines());
  if (flags.dryRun) {
    if (flags.json) printJson(preview);
    else if (preview.refused) {
      // The refusal first: the preview after it is long, and the reason is what matters.
      process.stdout.write(`${reasonLines()}\nThe refresh would be refused; nothing was changed. Its preview:\n\n${previewText(preview)}`);
    } else {
      process.stdout.write(previewText(preview));
      process.stdout.write('Dry run: nothing was changed. Run again with --yes to start.\n');
    }
    process.exitCode = preview.refused ? 12 : 0;
    return false;
  }
  if (preview.refused) {
    if (flags.json) printJson({ refused: true, reasons: preview.reasons });
    else printReasons();
    process.exitCode = 12;
    return false;
  }
  if (!flags.yes) {
    if (!process.stdin.isTTY || !process.stderr.isTTY) {
      throw new DataalmError('INVALID_INPUT', "a refresh replaces the target's databases: confirm it on a terminal, or pass --yes (see --dry-run for the preview)", {
        field: 'yes',
      });
    }
    process.stderr.write(previewText(preview));
    const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
    rl.on('SIGINT', () => controller.abort()); // Ctrl-C at the prompt: not confirmed
    const answer = await rl
      .question(`Type the target's name (${flags.target}) to start the refresh: `, { signal: controller.signal })
      .catch(() => '')
      .finally(() => rl.close());
    if (answer.trim() !== flags.target) {
      process.stderr.write('\n');
      process.stderr.write('Not confirmed: nothing was changed.\n');
      process.exitCode = 14;
      return false;
    }
  }
  if (controller.signal.aborted) {
    process.stderr.write('dataalm: stopped before the refresh started: nothing was changed.\n');
    process.exitCode = 14;
    return false;
  }
  return true;
}

export function registerOperationCommands(program: Command): void {
  program
    .command('refresh')
    .description("refresh a sandbox's databases from another environment: preview, confirm, then the runbook with rollback on failure")
    .requiredOption('--source <env>', 'environment to copy from (production or another sandbox; only read)')
    .requiredOption('--target <env>', 'sandbox whose databases are replaced')
    .option('--dry-run', 'show the preview (and any reason it would be refused), change nothing')
    .option('--yes', 'start without asking (needed when not on a terminal)')
    .option('--detach', 'queue it for the workers (dataalm start, dataalm worker) and return at once with its id')
    .option('--jobs <N>', 'parallel workers for data and indexes', String(Math.max(2, os.availableParallelism())))
    .addOption(new Option('--verify <what>', 'check row counts, or counts and content checksums, against the source snapshot').choices(['counts', 'checksums']).default('counts'))
    .option('--json', 'print JSON: the preview (with --dry-run), the refusal, or the finished operation')
    .addHelpText(
      'after',
      `
The target stays online while the copy is built in staging databases; the cutover that
swaps them in takes well under a second, and the previous databases are kept as
breadcrumbs (DATAALM_BREADCRUMB_RETENTION, default 7d) for "dataalm env restore".
Exit codes: 0 succeeded, 12 refused (nothing changed), 13 failed (dataalm op rollback ID),
14 canceled. Ctrl-C cancels before the cutover and cleans up.`,
    )
    .action(async (flags: RefreshFlags) => {
      const controller = new AbortController();
      let cutover = false;
      let started = false;
      await withBackend(
        flags,
        {
          local: async (runtime) => {
            const jobs = parseJobs(flags.jobs);
            // A refresh may end an operation whose process stopped, before its preview; a dry run only reads.
            if (!flags.dryRun) await reapAbandoned(runtime);
            if (!(await confirmRefresh(await previewRefresh(runtime, flags.source, flags.target), flags, controller))) return;
            const id = await requestRefresh(runtime, { source: flags.source, target: flags.target, jobs, verify: flags.verify, actor: localActor() });
            if (flags.detach) {
              await enqueueOperation(runtime, id);
              reportDetached(await runtime.operations.get(id), flags);
              return;
            }
            started = true;
            if (!flags.json) process.stderr.write(`Operation ${id}: refresh of ${flags.target} from ${flags.source} started.\n`);
            const progress = new ProgressReporter({ enabled: !flags.json });
            const operation = await runOperation(runtime, id, {
              signal: controller.signal,
              onEvent: (event) => {
                if (event.type === 'step' && event.step === 'cutover') cutover = event.status === 'running';
                if (!flags.json) showRunEvent(progress, event);
              },
            });
            progress.finish();
            await spareInBackground(runtime, flags.target).catch(() => {});
            finishOperation(operation, flags);
          },
          remote: async (client) => {
            const jobs = parseJobs(flags.jobs);
            const preview = await client.call('GET /api/environments/:name/refresh-preview', { params: { name: flags.target }, query: { source: flags.source } });
            if (!(await confirmRefresh(preview, flags, controller))) return;
            const { operation } = await client.call('POST /api/refreshes', { body: { source: flags.source, target: flags.target, acknowledge: true, jobs, verify: flags.verify } });
            if (flags.detach) return reportDetached(operation, flags);
            started = true;
            if (!flags.json) process.stderr.write(`Operation ${operation.id} on ${client.server}: refresh of ${flags.target} from ${flags.source} started.\n`);
            finishOperation(await followRemote(client, operation.id, flags, controller.signal, (running) => (cutover = running)), flags);
          },
        },
        {
          onSignal: (signal) => {
            if (controller.signal.aborted) return false; // a second signal: abort at once
            if (cutover) {
              // A few milliseconds: stopping half-way would leave the target closed.
              controller.abort();
              process.stderr.write(`\ndataalm: ${signal} received during the cutover; it finishes first (again to abort at once)\n`);
              return true;
            }
            controller.abort();
            if (started) process.stderr.write(`\ndataalm: ${signal} received, canceling the operation (again to abort at once)\n`);
            return true;
          },
        },
      );
    });

  const op = program.command('op').description('operations (refresh, restore, apply): list, show, logs, rollback, cancel');

  op.command('list')
    .description('the latest operations, newest first')
    .option('--env <name>', 'only operations on this environment')
    .option('--limit <N>', 'how many', '50')
    .option('--json', 'print a JSON array')
    .action(async (o: { env?: string; limit: string; json?: boolean }) => {
      const parseLimit = () => {
        const limit = Number(o.limit);
        if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new DataalmError('INVALID_INPUT', 'limit (--limit): must be a whole number from 1 to 500', { field: 'limit' });
        return limit;
      };
      const show = (operations: readonly Operation[]) => (o.json ? printJson(operations) : process.stdout.write(operationTable(operations)));
      await withBackend(o, {
        local: async (runtime) => {
          const limit = parseLimit();
          show(await runtime.operations.list({ ...(o.env ? { environment: o.env } : {}), limit }));
        },
        remote: async (client) => {
          show(await client.call('GET /api/operations', { query: { limit: String(parseLimit()), ...(o.env ? { environment: o.env } : {}) } }));
        },
      });
    });

  op.command('show')
    .description('one operation: steps with times and counters, offline window, verification report, error')
    .argument('<ID>', 'operation id')
    .option('--json', 'print a JSON object')
    .action(async (text: string, o: { json?: boolean }) => {
      const show = (operation: Operation) => (o.json ? printJson(operation) : process.stdout.write(operationDetails(operation)));
      await withBackend(o, {
        local: async (runtime) => {
          show(await runtime.operations.get(parseOperationId(text)));
        },
        remote: async (client) => show(await client.call('GET /api/operations/:id', { params: { id: parseOperationId(text) } })),
      });
    });

  op.command('logs')
    .description('the whole runbook log with timestamps and counts (no secrets); also after a rollback')
    .argument('<ID>', 'operation id')
    .option('-o, --output <file>', 'write the log to this file instead of standard output')
    .option('--json', 'print JSON lines')
    .action(async (text: string, o: { output?: string; json?: boolean }) => {
      const write = (id: number, body: string) => {
        if (o.output) {
          fs.writeFileSync(o.output, body, { mode: 0o600 });
          process.stderr.write(`Wrote ${body.split('\n').length - 1} log lines of operation ${id} to ${o.output}.\n`);
        } else process.stdout.write(body);
      };
      await withBackend(o, {
        local: async (runtime) => {
          const id = parseOperationId(text);
          await runtime.operations.get(id);
          const lines = await runtime.operations.logs(id);
          write(id, o.json ? lines.map((l) => `${JSON.stringify(l)}\n`).join('') : logText(lines));
        },
        remote: async (client) => {
          const id = parseOperationId(text);
          write(id, await client.text(`/api/operations/${id}/logs?format=${o.json ? 'json' : 'text'}`));
        },
      });
    });

  op.command('rollback')
    .description('undo a failed operation: before cutover drop the staging databases, after it swap the breadcrumbs back')
    .argument('<ID>', 'operation id')
    .option('--detach', 'queue the rollback for the workers (dataalm start, dataalm worker) and return at once')
    .option('--json', 'print the operation as JSON')
    .action(async (text: string, o: { json?: boolean; detach?: boolean }) => {
      let signalled = false;
      const done = (operation: Operation) =>
        o.json
          ? printJson(operation)
          : process.stdout.write(
              operation.state === 'rolled-back'
                ? `Operation ${operation.id} rolled back: ${operation.environment} is as it was before the operation.\n`
                : `Operation ${operation.id} is ${operation.state}: a worker rolls it back. Follow it with: dataalm op show ${operation.id}\n`,
            );
      await withBackend(
        o,
        {
          local: async (runtime) => done(await rollbackOperation(runtime, parseOperationId(text), localActor(), { detach: o.detach === true })),
          remote: async (client) => done(await client.call('POST /api/operations/:id/rollback', { params: { id: parseOperationId(text) } })),
        },
        {
          // Stopping a rollback half-way helps nobody: it finishes (in seconds) first,
          // unless a second signal insists.
          onSignal: (signal) => {
            if (signalled) return false;
            signalled = true;
            process.stderr.write(`\ndataalm: ${signal} received; the rollback finishes first (again to abort at once)\n`);
            return true;
          },
        },
      );
    });

  op.command('cancel')
    .description('stop an operation before its cutover: staging removed, target untouched')
    .argument('<ID>', 'operation id')
    .option('--json', 'print the operation as JSON')
    .action(async (text: string, o: { json?: boolean }) => {
      const done = (operation: Operation) => {
        if (o.json) printJson(operation);
        else if (operation.state === 'canceled') process.stdout.write(`Operation ${operation.id} canceled: ${operation.environment} was not touched.\n`);
        else if (operation.state === 'running') process.stdout.write(`Operation ${operation.id}: the cancel was asked for, but it has not stopped yet.\n`);
        else process.stdout.write(`Operation ${operation.id} ended ${operation.state} before the cancel took effect (dataalm op show ${operation.id}).\n`);
        if (operation.state !== 'canceled') process.exitCode = operation.state === 'succeeded' ? 0 : operation.state === 'failed' ? 13 : 1;
      };
      await withBackend(o, {
        local: async (runtime) => done(await cancelOperation(runtime, parseOperationId(text), localActor())),
        remote: async (client) => done(await client.call('POST /api/operations/:id/cancel', { params: { id: parseOperationId(text) } })),
      });
    });
}
