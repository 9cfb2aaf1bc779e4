import { type Config, loadConfig } from '../../config/config.js';
import { DataalmError, ERROR_CODES, RefusedError, coerceError } from '../../domain/errors/dataalm-error.js';
import { type Runtime, openRuntime } from '../../app/runtime.js';
import { RemoteClient } from './remote-client.js';

/** Ctrl-C, a service manager's stop, and a closed terminal all end a command cleanly. */
export const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * A stop signal this soon after the first is the same request: Ctrl-C on `npm start` reaches
 * dataalm twice, from the terminal (to the whole process group) and forwarded by npm.
 */
export const REPEATED_SIGNAL_MS = 2000;

export interface OutputOptions {
  readonly json?: boolean;
}

let serverFlag: string | undefined;

/** Set from the global --server option before a command runs. */
export function setServerFlag(server: string | undefined): void {
  serverFlag = server;
}

/** The remote dataalm this run acts on (--server, else DATAALM_SERVER), if any. */
function remoteServer(config: Config): string | undefined {
  return serverFlag ?? config.server;
}

/**
 * Runs a command on the local project (`local`) or, with --server, through the remote
 * dataalm's HTTP API as the user of DATAALM_TOKEN (`remote`).
 */
export async function withBackend(
  output: OutputOptions,
  actions: { local: (runtime: Runtime) => Promise<unknown>; remote: (client: RemoteClient) => Promise<unknown> },
  options: { onSignal?: (signal: NodeJS.Signals) => boolean } = {},
): Promise<void> {
  const config = configOrExit(output);
  if (!config) return;
  const server = remoteServer(config);
  if (server === undefined) return withRuntime(output, actions.local, options);
  try {
    if (!/^https?:\/\/[^/]/.test(server)) {
      throw new DataalmError('INVALID_INPUT', `server (--server): "${server}" is not an http(s) URL`, { field: 'server' });
    }
    if (config.token === undefined) {
      throw new DataalmError('UNAUTHENTICATED', `--server ${server} needs an API token in DATAALM_TOKEN`, {
        remedy: 'create one on that server (web UI: Your account, or dataalm token create there) and export DATAALM_TOKEN',
      });
    }
    // Without a handler of its own, a signal ends the command; the remote service goes on.
    for (const signal of STOP_SIGNALS) process.on(signal, onRemoteSignal);
    await actions.remote(new RemoteClient(server, config.token));
  } catch (error) {
    reportError(error, output);
  } finally {
    for (const signal of STOP_SIGNALS) process.off(signal, onRemoteSignal);
  }
  function onRemoteSignal(signal: NodeJS.Signals): void {
    if (options.onSignal?.(signal)) return;
    process.exit(signal === 'SIGINT' ? 130 : signal === 'SIGHUP' ? 129 : 143);
  }
}

/**
 * Runs one CLI command with a runtime: the running embedded server is used, or one is
 * started for the command and stopped afterwards, also on Ctrl-C or SIGTERM.
 */
export async function withRuntime<T>(
  output: OutputOptions,
  action: (runtime: Runtime) => Promise<T>,
  options: {
    /**
     * The command handles this signal itself (true), e.g. by canceling its operation or by
     * finishing a cutover first; false lets it abort the command at once.
     */
    onSignal?: (signal: NodeJS.Signals) => boolean;
    /** A long-running command keeps its embedded server up (see RuntimeOptions). */
    superviseServer?: (line: string) => void;
  } = {},
): Promise<void> {
  let runtime: Runtime | undefined;
  let signalled: NodeJS.Signals | undefined;
  let aborting: Promise<void> | undefined;
  // Called from the signal handler and again when the interrupted work fails: exit once,
  // after the abort has finished.
  const exitAfterAbort = () => {
    const status = signalled === 'SIGINT' ? 130 : signalled === 'SIGHUP' ? 129 : 143;
    aborting ??= (runtime?.abort() ?? Promise.resolve()).finally(() => process.exit(status));
    return aborting;
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) return;
    if (runtime && options.onSignal?.(signal)) return;
    signalled = signal;
    process.stderr.write(`\ndataalm: ${signal} received, stopping\n`);
    // While the runtime is still opening, it is aborted as soon as it is open (below).
    if (runtime) exitAfterAbort();
  };
  for (const signal of STOP_SIGNALS) process.on(signal, onSignal);
  try {
    const config = loadConfig();
    if (remoteServer(config) !== undefined) {
      throw new DataalmError('INVALID_INPUT', 'this command works on the local project only, not with --server (DATAALM_SERVER)', {
        field: 'server',
        remedy: 'run it on the dataalm host, or drop --server',
      });
    }
    runtime = await openRuntime(config, options.superviseServer ? { superviseServer: options.superviseServer } : {});
    announceNewProject(config, runtime);
    if (signalled) return await exitAfterAbort();
    await action(runtime);
  } catch (error) {
    if (signalled) return await exitAfterAbort();
    reportError(error, output);
  } finally {
    if (!signalled) {
      await runtime?.close().catch(() => {});
      for (const signal of STOP_SIGNALS) process.off(signal, onSignal);
    }
  }
}

/**
 * Without DATAALM_HOME a command that made a new project says where it lives, so a project
 * is never created unnoticed (e.g. by a command meant for another one).
 */
export function announceNewProject(config: Config, runtime: Runtime): void {
  if (config.homeOrigin === 'setting' || !runtime.embedded?.created) return;
  process.stderr.write(
    `dataalm: created a new project in ${config.home}: ${config.homeOrigin === 'user' ? "this user's default project, which every dataalm command uses from any folder" : "this folder's project"}; set DATAALM_HOME to use another folder\n`,
  );
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
  if (error instanceof RefusedError) {
    if (output.json) process.stdout.write(`${JSON.stringify({ refused: true, reasons: error.reasons })}\n`);
    else {
      for (const reason of error.reasons) {
        process.stderr.write(`dataalm: refused: ${reason.message} [${reason.code}]\n  remedy: ${reason.remedy}\n`);
      }
    }
    process.exitCode = ERROR_CODES.REFUSED.exit;
    return;
  }
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
