import { Command, CommanderError } from 'commander';
import { registerAccountCommands } from './account-commands.js';
import { registerWorkerCommand } from './worker-command.js';
import { registerNotifyCommands } from './notify-commands.js';
import { registerCopyCommands } from './copy-commands.js';
import { registerProfileCommands } from './profile-commands.js';
import { registerDemoCommands } from './demo-commands.js';
import { registerEnvironmentCommands } from './environment-commands.js';
import { registerAssetCommands } from './asset-commands.js';
import { registerOperationCommands } from './operation-commands.js';
import { registerStartCommand } from './start-command.js';
import { registerScheduleCommands } from './schedule-commands.js';
import { reportError, setServerFlag } from './command-context.js';
import { packageVersion } from './package-version.js';

/** Exit status for a command line that could not be understood (wrong flag, missing value). */
const USAGE_EXIT = 2;

export async function main(argv: string[]): Promise<void> {
  // A reader that stops early (`dataalm op logs 1 | head`) is not an error of dataalm's.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
  const program = new Command('dataalm')
    .description('Refresh sandbox PostgreSQL environments from production: consistent, sanitised, with rollback.')
    .version(packageVersion())
    .showHelpAfterError(argv.includes('--json') ? false : '(run with --help for usage)')
    .configureOutput({
      // Usage errors look like every other error: one "dataalm: error:" line, or a JSON
      // object on stdout with --json. Inherited by every subcommand.
      outputError: (text, write) => {
        if (!argv.includes('--json')) return write(`dataalm: ${text}`);
        if (!text.startsWith('error:')) return;
        const message = text.replace(/^error: /, '').trim();
        process.stdout.write(`${JSON.stringify({ error: { code: 'INVALID_INPUT', message } })}\n`);
      },
    })
    .option('--server <url>', 'act on a remote dataalm through its HTTP API, as the user of DATAALM_TOKEN (also DATAALM_SERVER)')
    .exitOverride()
    .hook('preAction', (_program, action) => setServerFlag(action.optsWithGlobals<{ server?: string }>().server))
    .addHelpText(
      'after',
      `
With no configuration dataalm runs its own PostgreSQL under ~/.dataalm (./.dataalm when
the current folder has one): one project per user, found from any folder; DATAALM_HOME
chooses another. Set DATAALM_DATABASE_URL to keep the control data on an existing server.
With --server URL (and DATAALM_TOKEN) env, refresh, op, asset, user and token commands act
on a remote dataalm through its HTTP API.
Settings (DATAALM_HOME, DATAALM_PORT, DATAALM_SECRET_KEY, ...) are listed in README.md;
exit codes in docs/errors.md. Run "dataalm <command> --help" for a command's options.`,
    );
  registerStartCommand(program);
  registerEnvironmentCommands(program);
  registerDemoCommands(program);
  registerCopyCommands(program);
  registerProfileCommands(program);
  registerOperationCommands(program);
  registerAssetCommands(program);
  registerAccountCommands(program);
  registerWorkerCommand(program);
  registerScheduleCommands(program);
  registerNotifyCommands(program);
  for (const command of program.commands) {
    command.exitOverride();
    for (const sub of command.commands) sub.exitOverride();
  }
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // help and --version also arrive here, with exit code 0
      process.exitCode = error.exitCode === 0 ? 0 : USAGE_EXIT;
      return;
    }
    reportError(error, { json: argv.includes('--json') });
  }
}
