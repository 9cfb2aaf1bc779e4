import { type Config, loadConfig } from '../../config/config.js';
import { DataalmError, ERROR_CODES, coerceError } from '../../domain/errors/dataalm-error.js';
import { type Runtime, openRuntime } from '../../app/runtime.js';

export interface OutputOptions {
  readonly json?: boolean;
}

/**
 * Runs one CLI command with a runtime: the running embedded server is used, or one is
 * started for the command and stopped afterwards, also on Ctrl-C or SIGTERM.
 */
export async function withRuntime<T>(output: OutputOptions, action: (runtime: Runtime) => Promise<T>): Promise<void> {
  let runtime: Runtime | undefined;
  let signalled: NodeJS.Signals | undefined;
  const exitAfterAbort = () => {
    const status = signalled === 'SIGINT' ? 130 : 143;
    void (runtime?.abort() ?? Promise.resolve()).finally(() => process.exit(status));
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) return;
    signalled = signal;
    process.stderr.write(`\ndataalm: ${signal} received, stopping\n`);
    // While the runtime is still opening, it is aborted as soon as it is open (below).
    if (runtime) exitAfterAbort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const config = loadConfig();
    runtime = await openRuntime(config);
    if (signalled) return exitAfterAbort();
    await action(runtime);
  } catch (error) {
    if (signalled) return exitAfterAbort();
    reportError(error, output);
  } finally {
    if (!signalled) {
      await runtime?.close().catch(() => {});
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
}

/** Loads the configuration only (for commands that need no database). */
export function configOrExit(output: OutputOptions): Config | undefined {
  try {
    return loadConfig();
  } catch (error) {
    reportError(error, output);
    return undefined;
  }
}

/** One line on stderr (or one JSON object on stdout with --json), and the code's exit status. */
export function reportError(thrown: unknown, output: OutputOptions): void {
  const error = coerceError(thrown);
  const known = error instanceof DataalmError ? error : undefined;
  const code = known?.code ?? 'INTERNAL';
  if (output.json) {
    const body = { error: { code, message: error.message, field: known?.field, remedy: known?.remedy } };
    process.stdout.write(`${JSON.stringify(body)}\n`);
  } else {
    const remedy = known?.remedy ? ` (${known.remedy})` : '';
    process.stderr.write(`dataalm: error: ${error.message}${remedy}\n`);
    if (!known && process.env.DATAALM_TEST_DEBUG) process.stderr.write(`${error.stack}\n`);
  }
  process.exitCode = ERROR_CODES[code].exit;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
