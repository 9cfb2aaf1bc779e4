import { localActor } from './local-actor.js';
import fs from 'node:fs';
import os from 'node:os';
import readline from 'node:readline/promises';
import { type Command, Option } from 'commander';
import { DataalmError } from '../../domain/errors/dataalm-error.js';
import { ACTIVE_STATES, APPLY_STEPS, type LogLine, type Operation, type OperationKind, REFRESH_STEPS, RESTORE_STEPS } from '../../domain/operation.js';
import { cancelOperation, rollbackOperation } from '../../app/refresh/operation-actions.js';
import { type RunEvent, runOperation } from '../../app/runbook/engine.js';
import { type RefreshPreview, previewRefresh, requestRefresh } from '../../app/refresh/refresh-service.js';
import { enqueueOperation } from '../../app/worker/operation-worker.js';
import { reapAbandoned } from '../../app/refresh/abandoned.js';
import { printJson, withBackend } from './command-context.js';
import type { RemoteClient } from './remote-client.js';
import { logText, operationDetails, operationTable, previewText } from './operation-view.js';
import { ProgressReporter, showDataProgress } from './progress-reporter.js';


/** Steps whose log lines a person watching a refresh wants to see as they happen. */
const TOLD_STEPS = new Set(['validate', 'sanitize', 'synchronize', 'verify', 'cutover', 'post', 'scripts', 'files', 'versions']);

const STEPS_OF: Record<OperationKind, readonly string[]> = { refresh: REFRESH_STEPS, restore: RESTORE_STEPS, apply: APPLY_STEPS };

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
  const printReasons = () => {
    for (const r of preview.reasons) process.stderr.write(`dataalm: refused: ${r.message} [${r.code}]\n  remedy: ${r.remedy}\n`);
  };
  if (flags.dryRun) {
    if (flags.json) printJson(preview);
    else {
      process.stdout.write(previewText(preview));
      if (!preview.refused) process.stdout.write('Dry run: nothing was changed. Run again with --yes to start.\n');
      if (preview.refused) printReasons();
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

/**
 * Follows an operation on a remote dataalm to its end, printing its steps and log as a
 * local run does. When `signal` aborts, the operation is asked to cancel and followed on.
 */
export async function followRemote(
  client: RemoteClient,
  id: number,
  flags: { json?: boolean },
  signal: AbortSignal | undefined,
  onCutover: (running: boolean) => void = () => {},
): Promise<Operation> {
  const progress = new ProgressReporter({ enabled: !flags.json });
  const statuses = new Map<string, string>();
  const onAbort = () => {
    void client.json<Operation>('POST', `/api/operations/${id}/cancel`).catch((error: Error) => process.stderr.write(`dataalm: ${error.message}\n`));
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  const onEvent = (event: string, data: unknown): Operation | undefined => {
    if (event === 'operation' || event === 'end') {
      const operation = data as Operation;
      // Each step is announced once, in order, even when it began and ended between two pictures.
      for (const step of operation.steps) {
        if (step.status === 'pending' || statuses.get(step.name) === step.status) continue;
        const announced = statuses.has(step.name);
        statuses.set(step.name, step.status);
        if (step.name === 'cutover') onCutover(step.status === 'running');
        if (flags.json) continue;
        if (!announced) showRunEvent(progress, { type: 'step', step: step.name, status: 'running' }, STEPS_OF[operation.kind]);
        if (step.status === 'skipped') showRunEvent(progress, { type: 'step', step: step.name, status: 'skipped' }, STEPS_OF[operation.kind]);
      }
      return event === 'end' ? operation : undefined;
    }
    if (event === 'log' && !flags.json) {
      showRunEvent(progress, { type: 'log', line: { ...(data as Omit<LogLine, 'data'>), data: null } });
    } else if (event === 'progress' && !flags.json) {
      const p = data as { done: number; rows: number; tablesDone: number; tablesTotal: number; mbPerSecond: number; etaSeconds: number | null; detail: string | null };
      showDataProgress(progress, { rows: p.rows, bytes: p.done, tablesDone: p.tablesDone, tablesTotal: p.tablesTotal, mbPerSecond: p.mbPerSecond, etaSeconds: p.etaSeconds, lastTable: p.detail });
    }
    return undefined;
  };
  try {
    // A stream can end early (a proxy's timeout, a restart of the service): follow it again
    // while the operation is still going; the log starts over, its lines already shown are skipped.
    let shown = 0;
    for (;;) {
      let final: Operation | undefined;
      let seen = 0;
      await client
        .events(`/api/operations/${id}/events`, (event, data) => {
          if (event === 'log' && (seen += 1) <= shown) return;
          final = onEvent(event, data) ?? final;
        })
        .catch((error: unknown) => {
          if (!(error instanceof TypeError)) throw error; // a broken connection is retried below
        });
      shown = Math.max(shown, seen);
      if (final) return final;
      const now = await client.json<Operation>('GET', `/api/operations/${id}`);
      if (!ACTIVE_STATES.includes(now.state)) return now;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    progress.finish();
  }
}

export function registerOperationCommands(program: Command): void {
  program
    .command('refresh')
    .description("refresh a sandbox's databases from another environment: preview, confirm, then the runbook with rollback on failure")
    .requiredOption('--source <env>', 'environment to copy from (production or another sandbox; only read)')
    .requiredOption('--target <env>', 'sandbox whose application and financial reporting databases are replaced')
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
            finishOperation(operation, flags);
          },
          remote: async (client) => {
            const jobs = parseJobs(flags.jobs);
            const preview = await client.json<RefreshPreview>(
              'GET',
              `/api/environments/${encodeURIComponent(flags.target)}/refresh-preview?source=${encodeURIComponent(flags.source)}`,
            );
            if (!(await confirmRefresh(preview, flags, controller))) return;
            const { operation } = await client.json<{ operation: Operation }>('POST', '/api/refreshes', {
              source: flags.source,
              target: flags.target,
              acknowledge: true,
              jobs,
              verify: flags.verify,
            });
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
      const show = (operations: Operation[]) => (o.json ? printJson(operations) : process.stdout.write(operationTable(operations)));
      await withBackend(o, {
        local: async (runtime) => {
          const limit = parseLimit();
          show(await runtime.operations.list({ ...(o.env ? { environment: o.env } : {}), limit }));
        },
        remote: async (client) => {
          const query = new URLSearchParams({ limit: String(parseLimit()), ...(o.env ? { environment: o.env } : {}) });
          show(await client.json<Operation[]>('GET', `/api/operations?${query}`));
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
        remote: async (client) => show(await client.json<Operation>('GET', `/api/operations/${parseOperationId(text)}`)),
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
          remote: async (client) => done(await client.json<Operation>('POST', `/api/operations/${parseOperationId(text)}/rollback`)),
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
        remote: async (client) => done(await client.json<Operation>('POST', `/api/operations/${parseOperationId(text)}/cancel`)),
      });
    });
}

export function showRunEvent(progress: ProgressReporter, event: RunEvent, steps: readonly string[] = REFRESH_STEPS): void {
  if (event.type === 'step' && event.status === 'running') {
    progress.step(`[${steps.indexOf(event.step) + 1}/${steps.length}] ${event.step}…`);
  }
  if (event.type === 'step' && event.status === 'skipped') progress.step(`      ${event.step}: skipped`);
  if (event.type === 'progress') showDataProgress(progress, event);
  if (event.type === 'log') {
    const { line } = event;
    if (line.level !== 'info') progress.step(`      ${line.level}: ${line.message}`);
    else if (line.step !== null && TOLD_STEPS.has(line.step) && !line.message.startsWith('step ')) progress.step(`      ${line.message}`);
  }
}

/** The result line (or JSON) and the exit status of a finished operation. */
export function finishOperation(operation: Operation, flags: { json?: boolean }): void {
  if (flags.json) printJson(operation);
  if (operation.state === 'succeeded' && operation.kind === 'apply') {
    if (!flags.json) process.stdout.write(`Operation ${operation.id} succeeded: package ${String(operation.options.package)} (${String(operation.options.packageName)}) applied to ${operation.environment}.\n`);
    return;
  }
  if (operation.state === 'succeeded') {
    if (!flags.json) {
      const checks = operation.verification ? `; verification passed (${operation.verification.checks.length} checks)` : '';
      process.stdout.write(`Operation ${operation.id} succeeded: ${operation.environment} was offline for ${operation.offlineMs} ms${checks}.\n`);
    }
    return;
  }
  if (operation.state === 'canceled') {
    if (!flags.json) {
      process.stderr.write(
        operation.kind === 'apply'
          ? `dataalm: operation ${operation.id} canceled; dataalm op logs ${operation.id} says which steps had run.\n`
          : `dataalm: operation ${operation.id} canceled: ${operation.environment} was not touched.\n`,
      );
    }
    process.exitCode = 14;
    return;
  }
  if (!flags.json) {
    const error = operation.error;
    process.stderr.write(
      `dataalm: error: operation ${operation.id} failed${error?.step ? ` at step ${error.step}` : ''}: ${error?.message ?? 'unknown reason'}\n` +
        (operation.kind === 'apply'
          ? `  logs: dataalm op logs ${operation.id}    ${error?.remedy ?? ''}\n`
          : `  logs: dataalm op logs ${operation.id}    rollback: dataalm op rollback ${operation.id}\n`),
    );
  }
  process.exitCode = 13;
}
