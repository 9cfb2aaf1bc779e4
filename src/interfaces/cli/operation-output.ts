import { ACTIVE_STATES, APPLY_STEPS, type OperationKind, REFRESH_STEPS, RESTORE_STEPS } from '../../domain/operation.js';
import type { RunEvent } from '../../app/runbook/engine.js';
import type { LogLine, Operation, Progress } from '../../contract/index.js';
import { printJson } from './command-context.js';
import type { RemoteClient } from './remote-client.js';
import { ProgressReporter, showDataProgress } from './progress-reporter.js';

/** Steps whose log lines a person watching a refresh wants to see as they happen. */
const TOLD_STEPS = new Set(['validate', 'sanitize', 'synchronize', 'verify', 'cutover', 'post', 'scripts', 'files', 'versions']);

const STEPS_OF: Record<OperationKind, readonly string[]> = { refresh: REFRESH_STEPS, restore: RESTORE_STEPS, apply: APPLY_STEPS };

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
    void client.call('POST /api/operations/:id/cancel', { params: { id } }).catch((error: Error) => process.stderr.write(`dataalm: ${error.message}\n`));
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
      showRunEvent(progress, { type: 'log', line: { ...(data as LogLine), data: null } });
    } else if (event === 'progress' && !flags.json) {
      const p = data as Progress;
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
      const now = await client.call('GET /api/operations/:id', { params: { id } });
      if (!ACTIVE_STATES.includes(now.state)) return now;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    progress.finish();
  }
}

/** A step as a remote server reports it: its name is the server's, whatever runbook it runs. */
type RemoteStepEvent = { readonly type: 'step'; readonly step: string; readonly status: 'running' | 'skipped' };

export function showRunEvent(progress: ProgressReporter, event: RunEvent | RemoteStepEvent, steps: readonly string[] = REFRESH_STEPS): void {
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
