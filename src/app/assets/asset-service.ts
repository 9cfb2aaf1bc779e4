import fs from 'node:fs';
import path from 'node:path';
import { openSession } from '../../adapters/postgres/database-servers.js';
import type { SqlSession } from '../../ports/database-server.js';
import type { Actor } from '../../domain/actor.js';
import {
  type Asset,
  type AssetManifest,
  INSTALLERS_FOLDER,
  REPROVISIONING_TOOL,
  type SharedAsset,
  highestVersion,
  judgeApply,
  packageLabel,
  scaleUnitOf,
} from '../../domain/asset.js';
import type { Environment } from '../../domain/environment.js';
import { DataalmError, RefusedError } from '../../domain/errors/dataalm-error.js';
import { APPLY_STEPS, type RefusalReason } from '../../domain/operation.js';
import { applyRefusals, redeployRefusals } from '../../domain/preflight/apply-preflight.js';
import { compareVersions } from '../../domain/refresh-rules.js';
import { listSharedAssets, readSharedAsset } from '../../adapters/assets/asset-files.js';
import type { Runtime } from '../runtime.js';
import { reapAbandoned } from '../refresh/abandoned.js';
import { Redactor } from '../../domain/redaction.js';

/** Adds a package, given with everything inline, to the library. */
export async function importAsset(runtime: Runtime, manifest: AssetManifest, actor: Actor): Promise<Asset> {
  return runtime.assets.add(manifest, null, actor);
}

/** Copies a shared asset (one that ships with dataalm) into the library. */
export async function importSharedAsset(runtime: Runtime, shared: string, actor: Actor): Promise<Asset> {
  return runtime.assets.add(readSharedAsset(shared), shared, actor);
}

export function sharedAssets(): SharedAsset[] {
  return listSharedAssets();
}

/** A package named by its id, as `asset list` shows it. */
export async function findPackage(runtime: Runtime, id: string | number): Promise<Asset> {
  const text = String(id).trim();
  if (!/^\d{1,15}$/.test(text)) {
    throw new DataalmError('INVALID_INPUT', `package (--package): "${text}" is not a package id; dataalm asset list shows them`, { field: 'package' });
  }
  return runtime.assets.get(Number(text));
}

/**
 * Everything that stops a package from being applied now: gathers what the environment is
 * busy with and has domain/preflight judge it. Reads only; `self` is the apply operation
 * asking again.
 */
export async function preflightApply(runtime: Runtime, environment: Environment, asset: Asset, self?: number): Promise<RefusalReason[]> {
  const busy = await runtime.operations.activeOn(environment.name);
  const copiedBy = await runtime.operations.activeFrom(environment.name);
  return applyRefusals({ environment, asset, self, busy, copiedBy });
}

/** Checks every rule and queues the apply; a refused request changes nothing. */
export async function requestApply(runtime: Runtime, request: { environment: string; package: string | number; actor: Actor }): Promise<number> {
  const environment = await runtime.environments.get(request.environment);
  const asset = await findPackage(runtime, request.package);
  // A request may end an operation whose process stopped (reading never does).
  await reapAbandoned(runtime);
  const reasons = await preflightApply(runtime, environment, asset);
  if (reasons.length > 0) throw new RefusedError(reasons);
  const id = await runtime.operations.create({
    kind: 'apply',
    environment: environment.name,
    source: null,
    options: { package: asset.id, packageName: asset.name, packageKind: asset.kind, packageVersion: asset.version },
    steps: APPLY_STEPS,
    actor: request.actor,
  });
  // Audited by operations.create, as every operation is.
  await runtime.operations.log(id, null, 'info', `apply of package ${asset.id} (${packageLabel(asset)}) to ${environment.name} requested by ${request.actor.name}`);
  return id;
}

/**
 * A package that would fix a version an environment lacks, for a refusal's remedy: one in
 * the library first, else a shared asset; undefined when there is none.
 */
export async function remedyPackage(
  runtime: Runtime,
  environment: Environment,
  wants: { applicationRelease?: string; platformUpdate?: number; financialReportingVersion?: string },
): Promise<string | undefined> {
  const fits = (candidate: { kind: Asset['kind']; appliesTo: readonly string[]; sets: AssetManifest['sets'] }) => {
    const sets = candidate.sets;
    if (wants.applicationRelease !== undefined && sets.applicationRelease !== wants.applicationRelease) return false;
    if (wants.platformUpdate !== undefined && (sets.platformUpdate ?? environment.platformUpdate ?? -1) < wants.platformUpdate) return false;
    const reporting = sets.financialReportingVersion ?? environment.financialReportingVersion;
    if (wants.financialReportingVersion !== undefined && (reporting === null || compareVersions(reporting, wants.financialReportingVersion) < 0)) {
      return false;
    }
    return judgeApply(environment, { id: 0, name: '', ...candidate }).length === 0;
  };
  const library = highestVersion((await runtime.assets.list()).filter(fits));
  if (library) return `apply package ${library.id} (${library.name}) to ${environment.name}: dataalm env apply ${environment.name} --package ${library.id}`;
  const shared = highestVersion(sharedAssets().filter(fits));
  if (shared) {
    return `import the shared asset ${shared.shared} (${shared.name}) with: dataalm asset import --shared ${shared.shared}; then apply it to ${environment.name} with: dataalm env apply ${environment.name} --package ID`;
  }
  return undefined;
}

/**
 * The library's package of this kind (or matching `also`) with the highest version that
 * may be applied to the environment now; the later import when two have one version.
 */
export async function newestApplicable(
  runtime: Runtime,
  environment: Environment,
  kind: Asset['kind'] | undefined,
  also: (asset: Asset) => boolean = () => true,
): Promise<Asset | undefined> {
  return highestVersion((await runtime.assets.list()).filter((a) => (kind === undefined || a.kind === kind) && also(a) && judgeApply(environment, a).length === 0));
}

/** How to run the reprovisioning tool on an environment, naming the package. */
export async function reprovisionRemedy(runtime: Runtime, environment: Environment): Promise<string> {
  const tool = await newestApplicable(runtime, environment, 'reprovisioning-tool');
  if (tool) return `dataalm env apply ${environment.name} --package ${tool.id} (${packageLabel(tool)})`;
  return `dataalm asset import --shared ${REPROVISIONING_TOOL}, then dataalm env apply ${environment.name} --package ID`;
}

/** Whether a package puts self-service installers in document storage (retail and binary packages may). */
export function carriesInstallers(asset: Pick<Asset, 'files'>): boolean {
  return asset.files.some((f) => f.path.startsWith(`${INSTALLERS_FOLDER}/`));
}

/** How to bring the self-service installers back: apply a package that carries them again. */
export async function installersRemedy(runtime: Runtime, environment: Environment): Promise<string> {
  const found = await newestApplicable(runtime, environment, undefined, carriesInstallers);
  if (found) return `dataalm env apply ${environment.name} --package ${found.id} (${packageLabel(found)})`;
  const shared = sharedAssets().find((a) => a.kind === 'retail' && judgeApply(environment, { id: 0, ...a }).length === 0);
  if (shared) return `dataalm asset import --shared ${shared.shared} (${shared.name}), then dataalm env apply ${environment.name} --package ID`;
  return `import your retail deployable package (dataalm asset import FILE) and apply it: dataalm env apply ${environment.name} --package ID`;
}

/** The self-service installers in an environment's document storage. */
export function installersIn(environment: Pick<Environment, 'documentStorage'>): string[] {
  if (environment.documentStorage === null) return [];
  const folder = path.join(environment.documentStorage, INSTALLERS_FOLDER);
  try {
    return fs
      .readdirSync(folder, { withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

/**
 * Redeploying an environment's retail scale unit: its channel database record is made
 * anew from the environment (the seed: the record is regenerated by a redeployment).
 * Refused while an operation holds the environment.
 */
export async function redeployScaleUnit(runtime: Runtime, name: string, actor: Actor): Promise<{ scaleUnit: string; record: Record<string, unknown> }> {
  await reapAbandoned(runtime);
  const environment = await runtime.environments.get(name);
  const reasons = redeployRefusals({ environment, busy: await runtime.operations.activeOn(name) });
  if (reasons.length > 0) throw new RefusedError(reasons);
  const url = (await runtime.environments.connectionUrls(name)).application!;
  const scaleUnit = scaleUnitOf(environment);
  let client: SqlSession | undefined;
  let record: Record<string, unknown>;
  try {
    client = await openSession(url, 'dataalm redeploy-scale-unit');
    await client.query('begin');
    await client.query('lock table retailchanneldatabase in share row exclusive mode');
    await client.query('delete from retailchanneldatabase where scaleunit = $1', [scaleUnit]);
    const inserted = await client.query<Record<string, unknown>>(
      `insert into retailchanneldatabase (recid, name, scaleunit, connectioninfo, datagroup)
       select coalesce(max(recid), 0) + 1, 'Default', $1, $2, 'Default' from retailchanneldatabase
       returning recid, name, scaleunit, connectioninfo, datagroup`,
      [scaleUnit, `https://${environment.name}-csu1.commerce.dynamics.com`],
    );
    await client.query('commit');
    record = { ...inserted.rows[0]!, recid: Number(inserted.rows[0]!.recid) };
  } catch (error) {
    await client?.query('rollback').catch(() => {});
    const message = (error as { code?: string }).code === '42P01' ? `${name}'s application database has no retailchanneldatabase table` : (error as Error).message;
    throw new DataalmError('OPERATION_FAILED', `the scale unit of ${name} could not be redeployed: ${new Redactor([url]).redact(message)}`);
  } finally {
    await client?.end().catch(() => {});
  }
  await runtime.environments.addHistory(name, `scale unit ${scaleUnit} redeployed: channel database record regenerated`, { actor: actor.name, scaleUnit });
  await runtime.environments.audit(actor, 'environment.redeploy-scale-unit', name, { scaleUnit });
  return { scaleUnit, record };
}
