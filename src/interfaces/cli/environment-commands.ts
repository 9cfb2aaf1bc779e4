import { localActor } from './local-actor.js';
import type { Command } from 'commander';
import { DataalmError } from '../../domain/errors/dataalm-error.js';
import { DEFAULT_PROFILE } from '../../domain/environment-input.js';
import { addEnvironment, environmentCredentials, environmentVersions, profileCarriesVersions } from '../../app/environment-service.js';
import { requestRestore } from '../../app/refresh/operation-actions.js';
import { runOperation } from '../../app/runbook/engine.js';
import { pruneBreadcrumbs } from '../../app/refresh/breadcrumbs.js';
import { printJson, withBackend, withRuntime } from './command-context.js';
import { type Breadcrumb, type DatabaseRole, type Environment, type HistoryEntry, type Versions, breadcrumbJson } from '../../contract/index.js';
import { environmentDetails, environmentJson, environmentTable } from './environment-view.js';
import { finishOperation, followRemote } from './operation-output.js';
import { parseOperationId } from './operation-commands.js';
import { breadcrumbTable } from './operation-view.js';
import { registerLifecycleCommands } from './asset-commands.js';
import { installersIn } from '../../app/assets/asset-service.js';
import { registerAccessCommand } from './access-commands.js';
import { registerMirrorCommands } from './mirror-commands.js';
import { registerRecurringJobsCommands } from './recurring-jobs-commands.js';
import { removeMirrorsOf } from '../../app/mirror-service.js';

/** The options of the three versions, in the order commander would report them missing. */
const VERSION_OPTIONS = ['release', 'platformUpdate', 'reportingVersion'] as const;

export function registerEnvironmentCommands(program: Command): void {
  const env = program.command('env').description('register and inspect environments; apply packages to them');

  env
    .command('list')
    .description('list the environments of the project')
    .option('--json', 'print a JSON array')
    .action(async (options: { json?: boolean }) => {
      const show = (environments: readonly Environment[]) =>
        options.json ? printJson(environments.map((e) => environmentJson(e))) : process.stdout.write(environmentTable(environments));
      await withBackend(options, {
        local: async (runtime) => show(await runtime.environments.list()),
        remote: async (client) => show(await client.call('GET /api/environments')),
      });
    });

  env
    .command('show')
    .description('show one environment: detailed versions (components, MRApplicationService among them), administrator, databases (no passwords), pending actions, history')
    .argument('<name>', 'environment name')
    .option('--json', 'print a JSON object')
    .action(async (name: string, options: { json?: boolean }) => {
      const show = (environment: Environment, history: readonly HistoryEntry[], versions: Versions, installers: readonly string[]) =>
        options.json
          ? printJson({ ...environmentJson(environment, history), versions, installers })
          : process.stdout.write(environmentDetails(environment, history, versions, installers));
      await withBackend(options, {
        local: async (runtime) => {
          const environment = await runtime.environments.get(name);
          show(environment, await runtime.environments.history(name), await environmentVersions(runtime, environment), installersIn(environment));
        },
        remote: async (client) => {
          const { history, versions, installers, ...environment } = await client.call('GET /api/environments/:name', { params: { name } });
          show(environment, history, versions, installers);
        },
      });
    });

  env
    .command('add')
    .description('register an environment; its databases must be reachable')
    .argument('<name>', 'environment name: lower-case letters, digits and "-"')
    .requiredOption('--type <type>', 'production or sandbox')
    .requiredOption('--tenant <domain>', 'identity tenant domain, e.g. contoso.com')
    .requiredOption('--admin <email>', 'account that becomes the Admin user after a refresh')
    .requiredOption('--app-db <url>', 'application database: postgresql://user:password@host:port/db')
    .option('--reporting-db <url>', 'financial reporting database URL')
    // Required when the profile carries these versions (finance-operations, the default); an
    // application of another profile has none.
    .option('--release <X.Y.Z>', 'application release, e.g. 10.0.38 (profiles that carry it, such as finance-operations)')
    .option('--platform-update <N>', 'platform update number, e.g. 62 (as --release)')
    .option('--reporting-version <X.Y.Z.W>', 'financial reporting version, e.g. 10.0.38.3 (as --release)')
    .option('--retail', 'the environment uses retail (reprovisioning runs after a refresh)', false)
    .option('--profile <name|file>', 'refresh profile', DEFAULT_PROFILE)
    .option('--storage <dir>', 'document storage folder (never copied by a refresh)')
    .option('--sync-command <cmd>', 'database synchronization command run on a refreshed copy')
    .option('--json', 'print the new environment as JSON')
    .action(async (name: string, o: Record<string, string | boolean | undefined>, command: Command) => {
      // The versions a profile carries are demanded as any required option is.
      if (profileCarriesVersions(o.profile)) {
        const missing = VERSION_OPTIONS.find((key) => o[key] === undefined);
        const option = command.options.find((opt) => opt.attributeName() === missing);
        if (option) command.error(`error: required option '${option.flags}' not specified`, { code: 'commander.missingMandatoryOptionValue' });
      }
      await withRuntime(o, async (runtime) => {
        const environment = await addEnvironment(
          runtime,
          {
            name,
            type: o.type,
            tenant: o.tenant,
            administrator: o.admin,
            applicationRelease: o.release,
            platformUpdate: o.platformUpdate,
            financialReportingVersion: o.reportingVersion,
            retail: o.retail === true,
            profile: o.profile,
            documentStorage: o.storage ?? null,
            syncCommand: o.syncCommand ?? null,
            databaseUrls: { application: o.appDb, ...(o.reportingDb === undefined ? {} : { financialReporting: o.reportingDb }) },
          },
          localActor(),
        );
        if (o.json) printJson(environmentJson(environment));
        else process.stdout.write(`Environment ${environment.name} (${environment.type}) registered.\n`);
      });
    });

  env
    .command('remove')
    .description("forget an environment; its databases and files are left as they are")
    .argument('<name>', 'environment name')
    .option('--json', 'print a JSON object')
    .action(async (name: string, options: { json?: boolean }) =>
      withRuntime(options, async (runtime) => {
        await removeMirrorsOf(runtime, name, localActor());
        await runtime.environments.remove(name, localActor());
        if (options.json) printJson({ removed: name });
        else process.stdout.write(`Environment ${name} removed from the registry; its databases were not touched.\n`);
      }),
    );

  env
    .command('credentials')
    .description('connection URLs of a non-production environment (production ones are never shown)')
    .argument('<name>', 'environment name')
    .option('--json', 'print a JSON object')
    .action(async (name: string, options: { json?: boolean }) => {
      // Locally each role the environment has; from the API the contract's Credentials, which fit this.
      const show = (urls: Readonly<Partial<Record<DatabaseRole, string>>>) => {
        if (options.json) printJson({ name, databases: urls });
        else for (const [role, url] of Object.entries(urls)) process.stdout.write(`${role}: ${url}\n`);
      };
      await withBackend(options, {
        local: async (runtime) => show(await environmentCredentials(runtime, name, localActor())),
        remote: async (client) => show(await client.call('GET /api/environments/:name/credentials', { params: { name } })),
      });
    });

  env
    .command('set')
    .description("change an environment's synchronize command, or whether a retail refresh runs the reprovisioning tool itself")
    .argument('<name>', 'environment name')
    .option('--sync-command <cmd>', 'database synchronization command run on a refreshed copy (DATAALM_SYNC_DATABASE_URL names it)')
    .option('--no-sync-command', 'remove the synchronize command')
    .option('--auto-reprovision <on|off>', 'on (default): a retail refresh runs the Environment Reprovisioning Tool as its post step; off: it is left as a pending action')
    .option('--json', 'print the environment as JSON')
    .action(async (name: string, o: { syncCommand?: string | false; autoReprovision?: string; json?: boolean }) =>
      withRuntime(o, async (runtime) => {
        if (o.syncCommand === undefined && o.autoReprovision === undefined) {
          throw new DataalmError('INVALID_INPUT', 'nothing to change: give --sync-command CMD, --no-sync-command or --auto-reprovision on|off', { field: 'syncCommand' });
        }
        if (o.syncCommand !== undefined && o.syncCommand !== false && o.syncCommand.trim() === '') {
          throw new DataalmError('INVALID_INPUT', 'syncCommand (--sync-command): must not be empty (--no-sync-command removes it)', { field: 'syncCommand' });
        }
        if (o.autoReprovision !== undefined && !['on', 'off'].includes(o.autoReprovision)) {
          throw new DataalmError('INVALID_INPUT', `autoReprovision (--auto-reprovision): "${o.autoReprovision}" must be on or off`, { field: 'autoReprovision' });
        }
        await runtime.environments.get(name);
        if (o.syncCommand !== undefined) await runtime.environments.setSyncCommand(name, o.syncCommand === false ? null : o.syncCommand, localActor());
        if (o.autoReprovision !== undefined) await runtime.environments.setAutoReprovision(name, o.autoReprovision === 'on', localActor());
        const environment = await runtime.environments.get(name);
        if (o.json) printJson(environmentJson(environment));
        else {
          if (o.syncCommand !== undefined) process.stdout.write(`Environment ${name}: synchronize command ${environment.syncCommand === null ? 'removed' : `set to ${environment.syncCommand}`}.\n`);
          if (o.autoReprovision !== undefined) {
            process.stdout.write(`Environment ${name}: after a retail refresh the reprovisioning tool ${environment.autoReprovision ? 'runs as the post step' : 'is left as a pending action'}.\n`);
            if (!environment.retail) process.stdout.write(`Note: ${name} does not use retail, so this takes effect only if it is registered again with --retail.\n`);
          }
        }
      }),
    );

  registerLifecycleCommands(env);
  registerAccessCommand(env);
  registerMirrorCommands(env);
  registerRecurringJobsCommands(env);

  env
    .command('restore')
    .description("bring back an environment's databases as they were before an operation (its breadcrumbs), within their retention")
    .argument('<name>', 'environment name')
    .requiredOption('--operation <ID>', 'the refresh (or restore) whose previous databases to bring back')
    .option('--json', 'print the restore operation as JSON')
    .action(async (name: string, o: { operation: string; json?: boolean }) => {
      let cutover = false;
      let deferred = false;
      await withBackend(
        o,
        {
          local: async (runtime) => {
            const id = await requestRestore(runtime, name, parseOperationId(o.operation), localActor());
            if (!o.json) process.stderr.write(`Operation ${id}: restore of ${name} to its state before operation ${o.operation} started.\n`);
            const operation = await runOperation(runtime, id, {
              onEvent: (event) => {
                if (event.type === 'step' && event.step === 'cutover') cutover = event.status === 'running';
                if (o.json) return;
                if (event.type === 'step' && event.status === 'running') process.stderr.write(`${event.step}…\n`);
                if (event.type === 'log' && event.line.step !== null && !event.line.message.startsWith('step ')) process.stderr.write(`      ${event.line.message}\n`);
              },
            });
            finishOperation(operation, o);
          },
          remote: async (client) => {
            const { operation } = await client.call('POST /api/environments/:name/restore', { params: { name }, body: { operation: parseOperationId(o.operation) } });
            if (!o.json) process.stderr.write(`Operation ${operation.id} on ${client.server}: restore of ${name} to its state before operation ${o.operation} started.\n`);
            finishOperation(await followRemote(client, operation.id, o, undefined, (running) => (cutover = running)), o);
          },
        },
        {
          // The swap takes milliseconds: the first signal during it waits for it, a second aborts.
          onSignal: (signal) => {
            if (!cutover || deferred) return false;
            deferred = true;
            process.stderr.write(`\ndataalm: ${signal} received during the cutover; it finishes first\n`);
            return true;
          },
        },
      );
    });

  env
    .command('breadcrumbs')
    .description("the previous databases kept by refreshes (restorable with env restore until they expire)")
    .argument('[name]', 'environment name (default: all)')
    .option('--json', 'print a JSON array')
    .action(async (name: string | undefined, o: { json?: boolean }) => {
      const show = (crumbs: readonly Breadcrumb[]) => (o.json ? printJson(crumbs) : process.stdout.write(breadcrumbTable(crumbs)));
      await withBackend(o, {
        local: async (runtime) => {
          if (name !== undefined) await runtime.environments.get(name);
          show((await runtime.operations.breadcrumbs(name === undefined ? {} : { environment: name })).map(breadcrumbJson));
        },
        remote: async (client) => {
          const names = name !== undefined ? [name] : (await client.call('GET /api/environments')).map((e) => e.name);
          const crumbs: Breadcrumb[] = [];
          for (const environment of names) crumbs.push(...(await client.call('GET /api/environments/:name/breadcrumbs', { params: { name: environment } })));
          show(crumbs);
        },
      });
    });

  program
    .command('janitor')
    .description('drop the breadcrumbs whose retention (DATAALM_BREADCRUMB_RETENTION) has passed; dataalm start does this hourly')
    .option('--json', 'print the dropped databases as JSON')
    .action(async (o: { json?: boolean }) =>
      withRuntime(o, async (runtime) => {
        const dropped = await pruneBreadcrumbs(runtime);
        if (o.json) printJson({ dropped });
        else process.stdout.write(dropped.length === 0 ? 'No expired breadcrumbs.\n' : `Dropped ${dropped.length} expired breadcrumb(s): ${dropped.join(', ')}\n`);
      }),
    );
}
