import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { openSession } from '../../adapters/postgres/database-servers.js';
import { quoteLiteral } from '../../adapters/postgres/sql-text.js';
import type { SqlSession } from '../../ports/database-server.js';
import {
  type AssetManifest,
  INSTALLERS_ACTION,
  INSTALLERS_FOLDER,
  REPROVISION_ACTION,
  REPROVISIONING_TOOL,
  renderScript,
} from '../../domain/asset.js';
import { DATABASE_ROLES, type DatabaseRole, type Environment } from '../../domain/environment.js';
import { DataalmError } from '../../domain/errors/dataalm-error.js';
import { readSharedAsset } from '../../adapters/assets/asset-files.js';
import type { Runtime } from '../runtime.js';
import { installersIn, installersRemedy, newestApplicable, reprovisionRemedy } from './asset-service.js';

export type StepLog = (level: 'info' | 'warning' | 'error', message: string, data?: Record<string, unknown>) => Promise<void>;

type Scripts = Partial<Record<string, readonly { name: string; sql: string }[]>>;

/**
 * Runs a package's scripts: each database's in one transaction, in the manifest's order,
 * with the environment's values as quoted literals. A failing script rolls its database's
 * scripts back and names the script; a database whose scripts ran stays so (packages are
 * written to be applied again).
 */
export async function runScripts(
  environment: Environment,
  urls: Partial<Record<DatabaseRole, string>>,
  scripts: Scripts,
  log: StepLog,
  applicationName: string,
  /** Throws when this process may no longer commit (another worker has the operation). */
  guard: () => Promise<void> = async () => {},
): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const role of DATABASE_ROLES) {
    const list = scripts[role] ?? [];
    if (list.length === 0) continue;
    const url = urls[role];
    if (url === undefined) throw new DataalmError('OPERATION_FAILED', `${environment.name} has no ${role} database for the package's scripts`);
    // What a script says (RAISE NOTICE) goes to the runbook log.
    const notices: string[] = [];
    let client: SqlSession | undefined;
    let current = '';
    try {
      client = await openSession(url, applicationName).catch((error: Error) => {
        throw new Error(`${environment.name}'s ${role} database does not answer (${error.message})`);
      });
      client.onNotice((notice) => notices.push(notice));
      await client.query('begin');
      for (const script of list) {
        current = script.name;
        await log('info', `${role}: running script "${script.name}"`);
        const results = await client.script(renderScript(script.sql, environment, quoteLiteral));
        for (const notice of notices.splice(0)) await log('info', `${role}: ${notice}`);
        const counted = results.filter((n): n is number => typeof n === 'number');
        const rows = counted.reduce((n, r) => n + r, 0);
        await log('info', `${role}: script "${script.name}" done${counted.length > 0 ? ` (${rows} row(s) changed)` : ''}`, { role, script: script.name, rows });
      }
      current = '';
      await guard();
      await client.query('commit');
      counts[role] = list.length;
    } catch (error) {
      await client?.query('rollback').catch(() => {});
      const committed = Object.keys(counts);
      const earlier = committed.length > 0 ? `; the scripts of the ${committed.join(' and ')} database had been committed before` : '';
      throw new DataalmError(
        'OPERATION_FAILED',
        current === '' ? `${role}: ${(error as Error).message}` : `${role}: script "${current}" failed: ${(error as Error).message}`,
        {
          remedy: `the ${role} database's scripts of this package were rolled back${earlier}; fix the cause and apply the package again`,
          cause: error,
        },
      );
    } finally {
      await client?.end().catch(() => {});
    }
  }
  return counts;
}

/**
 * Puts a package's files in the environment's document storage. Each file is written
 * beside its place and renamed into it, so a reader never sees half a file.
 */
export async function writeFiles(
  environment: Environment,
  files: readonly { path: string; content: Buffer; sha256: string }[],
  log: StepLog,
  guard: () => Promise<void> = async () => {},
): Promise<{ files: number; bytes: number }> {
  if (files.length === 0) return { files: 0, bytes: 0 };
  const storage = environment.documentStorage;
  if (storage === null) throw new DataalmError('OPERATION_FAILED', `${environment.name} has no document storage for the package's files`);
  let bytes = 0;
  const root = fs.realpathSync(storage);
  for (const file of files) {
    const destination = path.join(makeFolderInside(root, path.dirname(file.path), environment.name), path.basename(file.path));
    if (fs.lstatSync(destination, { throwIfNoEntry: false })?.isSymbolicLink()) fs.unlinkSync(destination);
    const partial = `${destination}.dataalm-partial`;
    fs.rmSync(partial, { force: true });
    fs.writeFileSync(partial, file.content, { flag: 'wx' });
    await guard();
    fs.renameSync(partial, destination);
    const written = createHash('sha256').update(fs.readFileSync(destination)).digest('hex');
    if (written !== file.sha256) throw new DataalmError('OPERATION_FAILED', `${file.path} was not written as it is in the package (checksum differs)`);
    bytes += file.content.length;
    await log('info', `wrote ${file.path} (${file.content.length} bytes) to document storage`, { path: file.path, bytes: file.content.length });
  }
  return { files: files.length, bytes };
}

/**
 * Makes each folder of `relative` under `root` one at a time, refusing any that is a link
 * or leads outside the storage, before anything is created there. Returns the last one.
 */
function makeFolderInside(root: string, relative: string, environment: string): string {
  let folder = root;
  for (const part of relative.split('/').filter((p) => p !== '' && p !== '.')) {
    folder = path.join(folder, part);
    const found = fs.lstatSync(folder, { throwIfNoEntry: false });
    if (found === undefined) fs.mkdirSync(folder);
    else if (!found.isDirectory()) throw new DataalmError('OPERATION_FAILED', `${path.relative(root, folder)} in ${environment}'s document storage is not a folder (a link is not followed)`);
  }
  return folder;
}

/**
 * The reprovisioning tool a retail refresh runs: the highest version that the library
 * holds and that applies to the environment without lowering a version, else the one that
 * ships with dataalm.
 */
async function reprovisioningTool(
  runtime: Runtime,
  environment: Environment,
): Promise<{ manifest: Pick<AssetManifest, 'name' | 'version' | 'sets'>; scripts: Scripts; origin: string }> {
  const imported = await newestApplicable(runtime, environment, 'reprovisioning-tool');
  if (imported) return { manifest: imported, scripts: await runtime.assets.scripts(imported.id), origin: `package ${imported.id} of the asset library` };
  const shared = readSharedAsset(REPROVISIONING_TOOL);
  return { manifest: shared, scripts: shared.scripts, origin: 'the shared asset that ships with dataalm' };
}

/**
 * After the refresh of a retail environment (the post step): runs the Environment
 * Reprovisioning Tool, or, when the environment's setting says a person does it, leaves a
 * pending action naming the package. Either way, reports the self-service installers the
 * environment keeps in its document storage; none there is a pending action too.
 */
export async function afterRetailRefresh(
  runtime: Runtime,
  environment: Environment,
  urls: Partial<Record<DatabaseRole, string>>,
  operation: number,
  log: StepLog,
): Promise<Record<string, unknown>> {
  const counters: Record<string, unknown> = {};
  const leavePending = async (why: string) => {
    const remedy = await reprovisionRemedy(runtime, environment);
    await runtime.environments.addPendingAction(environment.name, {
      code: REPROVISION_ACTION,
      message: `${environment.name} was refreshed (operation ${operation}): run the Environment Reprovisioning Tool so its retail components match the refreshed data`,
      remedy,
      since: new Date().toISOString(),
      operation,
    });
    await log('warning', `${why}: pending action: ${remedy}`);
  };
  if (environment.autoReprovision) {
    try {
      const tool = await reprovisioningTool(runtime, environment);
      await log('info', `running the Environment Reprovisioning Tool ${tool.manifest.version} (${tool.origin}) on ${environment.name}, so its retail components match the refreshed data`);
      const scripts = await runScripts(environment, urls, tool.scripts, log, `dataalm operation ${operation}`);
      await runtime.environments.setVersions(environment.name, { components: tool.manifest.sets.components ?? {} });
      await runtime.environments.clearPendingAction(environment.name, REPROVISION_ACTION);
      await log('info', `the Environment Reprovisioning Tool ${tool.manifest.version} finished on ${environment.name}`);
      counters.reprovisioning = { tool: tool.manifest.name, version: tool.manifest.version, scripts };
    } catch (error) {
      // The refreshed data is in place and verified; the tool is a deployment of its own,
      // as in the seed. Its failure is told and left to a person, not undone with the refresh.
      await log('error', `the Environment Reprovisioning Tool failed: ${(error as Error).message}`);
      await leavePending(`${environment.name}'s retail components still match the source`);
      counters.reprovisioning = 'failed';
    }
  } else {
    await leavePending(`${environment.name} uses retail and runs the reprovisioning tool by hand (setting)`);
    counters.reprovisioning = 'pending';
  }
  const installers = installersIn(environment);
  if (installers.length > 0) {
    await log('info', `self-service installers kept in ${environment.name}'s document storage (${INSTALLERS_FOLDER}): ${installers.join(', ')}`);
  } else {
    const remedy = await installersRemedy(runtime, environment);
    await runtime.environments.addPendingAction(environment.name, {
      code: INSTALLERS_ACTION,
      message: `${environment.name}'s document storage has no self-service installers`,
      remedy,
      since: new Date().toISOString(),
      operation,
    });
    await log('warning', `${environment.name}'s document storage has no self-service installers: ${remedy}`);
  }
  counters.installers = installers.length;
  return counters;
}
