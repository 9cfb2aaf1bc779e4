import type { Command } from 'commander';
import { DataalmError } from '../../domain/errors/dataalm-error.js';
import { createDemo } from '../../app/demo-project.js';
import { applyCustomisation, loadSampleIntoEnvironment } from '../../app/sample-data.js';
import { CUSTOMISATIONS } from '../../sample/customisations.js';
import { configOrExit, reportError } from './command-context.js';
import { printJson, withRuntime } from './command-context.js';
import { environmentJson } from './environment-view.js';
import { ProgressReporter } from './progress-reporter.js';
import { enableMirror, mirrorStatus } from '../../app/mirror-service.js';
import type { Runtime } from '../../app/runtime.js';
import type { MirrorStatus } from '../../contract/index.js';
import { SYSTEM_ACTOR } from '../../domain/actor.js';

/** Checked before anything starts; null means the error was reported. */
function checkScale(value: string | undefined, output: { json?: boolean }): number | undefined | null {
  if (value === undefined) return undefined;
  const scale = Number(value);
  if (value.trim() === '' || !Number.isFinite(scale) || scale <= 0 || scale > 100) {
    reportError(new DataalmError('INVALID_INPUT', `scale (--scale): "${value}" must be a number above 0 and at most 100`, { field: 'scale' }), output);
    return null;
  }
  return scale;
}

/** contoso-uat's mirror of contoso-prod, enabled unless it has one already. */
async function demoMirror(runtime: Runtime, progress: ProgressReporter): Promise<MirrorStatus> {
  if (await runtime.mirrors.find('contoso-uat')) return mirrorStatus(runtime, 'contoso-uat');
  progress.step('contoso-uat: seeding a mirror of contoso-prod');
  return enableMirror(runtime, 'contoso-uat', { source: 'contoso-prod' }, SYSTEM_ACTOR);
}

export function registerDemoCommands(program: Command): void {
  program
    .command('demo')
    .description('create the demo project: contoso-prod, contoso-uat, contoso-test, fabrikam-uat with sample data')
    .option('--scale <S>', 'sample data scale; 1 is about 1 GiB per environment (default: DATAALM_DEMO_SCALE or 0.01)')
    .option('--reset', 'drop the demo environments and create them anew', false)
    .option('--mirror', "also give contoso-uat a mirror of contoso-prod, so its refreshes clone it (dataalm env mirror status contoso-uat)", false)
    .option('--json', 'print the result as JSON')
    .action(async (o: { scale?: string; reset: boolean; mirror: boolean; json?: boolean }) => {
      const given = checkScale(o.scale, o);
      if (given === null) return;
      await withRuntime(o, async (runtime) => {
        const scale = given ?? runtime.config.demoScale;
        const progress = new ProgressReporter({ enabled: !o.json });
        const result = await createDemo(runtime, {
          scale,
          reset: o.reset,
          onStep: (message) => progress.step(message),
          onProgress: (e) => progress.update(`${e.environment} ${e.role}`, e.done, e.total, e.table),
        });
        progress.finish();
        const mirror = o.mirror ? await demoMirror(runtime, progress) : undefined;
        if (o.json) {
          printJson({ created: result.created, scale: result.scale, environments: result.environments.map((e) => environmentJson(e)), ...(mirror ? { mirror } : {}) });
        } else if (result.created) {
          process.stdout.write(`Demo project created at scale ${result.scale}: ${result.environments.map((e) => e.name).join(', ')}.\n`);
        } else {
          process.stdout.write(`The demo project already exists (scale ${result.scale}); use --reset to create it anew.\n`);
        }
        if (mirror && !o.json) process.stdout.write(`contoso-uat mirrors contoso-prod (${mirror.health}): its refreshes from contoso-prod clone the mirror.\n`);
      });
    });

  const sample = program.command('sample').description('the sample ERP application used by the demo, tests and benchmarks');
  registerCustomiseCommand(sample);
  sample
    .command('load')
    .description("fill an environment's databases with deterministic sample data")
    .requiredOption('--env <name>', 'environment whose databases are filled')
    .option('--scale <S>', 'scale; 1 is about 1 GiB in the application database', '0.01')
    .option('--replace', "drop a sandbox database's contents first when they are not dataalm's sample (never on production)", false)
    .option('--json', 'print the result as JSON')
    .action(async (o: { env: string; scale: string; replace: boolean; json?: boolean }) => {
      const scale = checkScale(o.scale, o);
      if (scale === null || scale === undefined) return;
      await withRuntime(o, async (runtime) => {
        const progress = new ProgressReporter({ enabled: !o.json });
        const result = await loadSampleIntoEnvironment(runtime, o.env, {
          scale,
          replace: o.replace,
          onProgress: (e) => progress.update(`${e.environment} ${e.role}`, e.done, e.total, e.table),
        });
        progress.finish();
        if (o.json) printJson({ environment: o.env, scale, databases: result });
        else {
          for (const [role, s] of Object.entries(result)) {
            process.stdout.write(
              `${role}: ${s.tables} tables, ${s.rows} rows, ${(s.bytes / 1024 / 1024).toFixed(1)} MiB in ${s.seconds.toFixed(1)} s\n`,
            );
          }
        }
      });
    });
}

export function registerCustomiseCommand(sample: Command): void {
  sample
    .command('customise')
    .description(
      `apply a sample customisation to a database, as a synchronize command does (${Object.keys(CUSTOMISATIONS).join(', ')})`,
    )
    .argument('<name>', 'customisation name')
    .option('--database-url <url>', 'application database to change (default: $DATAALM_SYNC_DATABASE_URL, set for synchronize commands, then $DATABASE_URL)')
    .option('--json', 'print the result as JSON')
    .action(async (name: string, o: { databaseUrl?: string; json?: boolean }) => {
      if (!configOrExit(o)) return;
      try {
        const applied = await applyCustomisation(name, o.databaseUrl ?? process.env.DATAALM_SYNC_DATABASE_URL ?? process.env.DATABASE_URL);
        if (o.json) printJson({ customisation: name, statements: applied });
        else process.stdout.write(`Customisation ${name} applied (${applied} statements).\n`);
      } catch (error) {
        reportError(error, o);
      }
    });
}
