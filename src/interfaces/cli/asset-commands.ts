import type { Command } from 'commander';
import { ASSET_KIND_LABELS, packageLabel } from '../../domain/asset.js';
import type { Asset, AssetDetails, Operation, ScaleUnitRecord, SharedAsset } from '../../contract/index.js';
import { DataalmError } from '../../domain/errors/dataalm-error.js';
import { readManifestFile } from '../../app/assets/manifests.js';
import { findPackage, importAsset, importSharedAsset, redeployScaleUnit, requestApply, sharedAssets } from '../../app/assets/asset-service.js';
import { runOperation } from '../../app/runbook/engine.js';
import { enqueueOperation } from '../../app/worker/operation-worker.js';
import { printJson, withBackend } from './command-context.js';
import { localActor } from './local-actor.js';
import { finishOperation, followRemote, showRunEvent } from './operation-output.js';
import { APPLY_STEPS } from '../../domain/operation.js';
import { ProgressReporter } from './progress-reporter.js';
import { table } from './operation-view.js';

function setsText(sets: Asset['sets']): string {
  const parts = [
    sets.applicationRelease && `release ${sets.applicationRelease}`,
    sets.platformUpdate !== undefined && `platform update ${sets.platformUpdate}`,
    sets.financialReportingVersion && `MRApplicationService ${sets.financialReportingVersion}`,
    ...Object.entries(sets.components ?? {}).map(([name, version]) => `${name} ${version}`),
  ].filter(Boolean);
  return parts.join(', ') || '-';
}

export function assetTable(assets: readonly Asset[]): string {
  if (assets.length === 0) return 'The asset library is empty. Import a package with `dataalm asset import FILE`, or a shared one with `dataalm asset import --shared NAME` (dataalm asset list --shared).\n';
  const rows = assets.map((a) => [String(a.id), a.name, a.kind, a.version, a.appliesTo.join(','), setsText(a.sets), a.files.length > 0 ? `${a.files.length} file(s)` : '-']);
  return table(['ID', 'NAME', 'KIND', 'VERSION', 'RELEASES', 'SETS', 'FILES'], rows);
}

function sharedTable(assets: readonly SharedAsset[]): string {
  const rows = assets.map((a) => [a.shared, a.name, a.kind, a.version, a.appliesTo.join(','), setsText(a.sets)]);
  return `${table(['SHARED', 'NAME', 'KIND', 'VERSION', 'RELEASES', 'SETS'], rows)}Import one with: dataalm asset import --shared NAME\n`;
}


function assetDetails(a: AssetDetails): string {
  const lines = [
    `Package ${a.id}: ${packageLabel(a)} (${ASSET_KIND_LABELS[a.kind]})`,
    ...(a.description ? [`  ${a.description}`] : []),
    `  applies to   ${a.appliesTo.join(', ')}`,
    `  sets         ${setsText(a.sets)}`,
    `  imported     ${a.importedAt} by ${a.importedBy}${a.shared ? ` (shared asset ${a.shared})` : ''}`,
    ...Object.entries(a.scripts).flatMap(([role, list]) =>
      (list ?? []).flatMap((script) => [`  script for the ${role} database: ${script.name}`, ...script.sql.trimEnd().split('\n').map((l) => `    | ${l}`)]),
    ),
    ...a.files.map((f) => `  file ${f.path} (${f.bytes} bytes, sha256 ${f.sha256})`),
  ];
  return `${lines.join('\n')}\n`;
}

export function registerAssetCommands(program: Command): void {
  const asset = program.command('asset').description('the asset library: deployable packages to apply to environments (Apply updates)');

  asset
    .command('import')
    .description('add a package to the asset library: a manifest file, or a shared asset that ships with dataalm')
    .argument('[file]', 'manifest (YAML or JSON); scripts (file:) and document-storage files (from:) are read beside it')
    .option('--shared <name>', 'import a shared asset instead (dataalm asset list --shared), e.g. environment-reprovisioning-tool')
    .option('--json', 'print the package as JSON')
    .addHelpText(
      'after',
      `
A manifest names the package, its kind (binary, financial-reporting, retail,
reprovisioning-tool), its version, the releases it applies to, the versions it sets, SQL
scripts per database and files for document storage. See README, "Packages".`,
    )
    .action(async (file: string | undefined, o: { shared?: string; json?: boolean }) => {
      if ((file === undefined) === (o.shared === undefined)) {
        throw new DataalmError('INVALID_INPUT', 'give either a manifest FILE or --shared NAME (dataalm asset list --shared lists them)', { field: 'file' });
      }
      const done = (added: Asset) => {
        if (o.json) printJson(added);
        else process.stdout.write(`Package ${added.id} imported: ${packageLabel(added)} (${ASSET_KIND_LABELS[added.kind]}). Apply it with: dataalm env apply NAME --package ${added.id}\n`);
      };
      await withBackend(o, {
        local: async (runtime) => done(o.shared !== undefined ? await importSharedAsset(runtime, o.shared, localActor()) : await importAsset(runtime, readManifestFile(file!), localActor())),
        remote: async (client) => done(await client.call('POST /api/assets', { body: o.shared !== undefined ? { shared: o.shared } : { manifest: readManifestFile(file!) } })),
      });
    });

  asset
    .command('show')
    .description("one package of the library: what it sets, its scripts' SQL, its files' sizes and checksums")
    .argument('<id>', 'package id (dataalm asset list)')
    .option('--json', 'print a JSON object')
    .action(async (text: string, o: { json?: boolean }) => {
      const done = (shown: AssetDetails) => (o.json ? printJson(shown) : process.stdout.write(assetDetails(shown)));
      await withBackend(o, {
        local: async (runtime) => {
          const found = await findPackage(runtime, text);
          done({ ...found, scripts: (await runtime.assets.manifest(found.id)).scripts });
        },
        remote: async (client) => done(await client.call('GET /api/assets/:id', { params: { id: text } })),
      });
    });

  asset
    .command('list')
    .description('list the packages of the asset library (with --shared: the shared assets that can be imported)')
    .option('--shared', 'list the shared assets that ship with dataalm instead')
    .option('--json', 'print a JSON array')
    .action(async (o: { shared?: boolean; json?: boolean }) => {
      if (o.shared) {
        const showShared = (shared: readonly SharedAsset[]) => (o.json ? printJson(shared) : process.stdout.write(sharedTable(shared)));
        await withBackend(o, {
          local: async () => showShared(sharedAssets()),
          remote: async (client) => showShared(await client.call('GET /api/assets/shared')),
        });
        return;
      }
      const show = (assets: readonly Asset[]) => (o.json ? printJson(assets) : process.stdout.write(assetTable(assets)));
      await withBackend(o, {
        local: async (runtime) => show(await runtime.assets.list()),
        remote: async (client) => show(await client.call('GET /api/assets')),
      });
    });
}

/** `env apply` and `env redeploy-scale-unit`, on the `env` command. */
export function registerLifecycleCommands(env: Command): void {
  env
    .command('apply')
    .description('apply a package of the asset library to an environment (Apply updates): its scripts, its files, its versions')
    .argument('<name>', 'environment name')
    .requiredOption('--package <id>', 'package id (dataalm asset list)')
    .option('--detach', 'queue it for the workers and return at once with its id')
    .option('--json', 'print the operation as JSON')
    .addHelpText(
      'after',
      `
Refused, with the reason, when the package is not for the environment's release or would
lower a version. Exit codes: 0 succeeded, 12 refused (nothing changed), 13 failed, 14 canceled.`,
    )
    .action(async (name: string, o: { package: string; detach?: boolean; json?: boolean }) => {
      const controller = new AbortController();
      const detached = (operation: Operation) => {
        if (o.json) printJson(operation);
        else process.stdout.write(`Operation ${operation.id} queued: apply of package ${o.package} to ${name}. Follow it with dataalm op show ${operation.id}.\n`);
      };
      await withBackend(
        o,
        {
          local: async (runtime) => {
            const id = await requestApply(runtime, { environment: name, package: o.package, actor: localActor() });
            if (o.detach) {
              await enqueueOperation(runtime, id);
              return detached(await runtime.operations.get(id));
            }
            const asset = await findPackage(runtime, o.package);
            if (!o.json) process.stderr.write(`Operation ${id}: applying package ${asset.id} (${packageLabel(asset)}) to ${name}.\n`);
            const progress = new ProgressReporter({ enabled: !o.json });
            const operation = await runOperation(runtime, id, {
              signal: controller.signal,
              onEvent: (event) => {
                if (!o.json) showRunEvent(progress, event, APPLY_STEPS);
              },
            });
            progress.finish();
            finishOperation(operation, o);
          },
          remote: async (client) => {
            if (!/^\d{1,15}$/.test(o.package)) {
              throw new DataalmError('INVALID_INPUT', `package (--package): "${o.package}" is not a package id; dataalm asset list shows them`, { field: 'package' });
            }
            const { operation } = await client.call('POST /api/environments/:name/apply', { params: { name }, body: { package: Number(o.package) } });
            if (o.detach) return detached(operation);
            if (!o.json) process.stderr.write(`Operation ${operation.id} on ${client.server}: applying package ${o.package} to ${name}.\n`);
            finishOperation(await followRemote(client, operation.id, o, controller.signal), o);
          },
        },
        {
          onSignal: (signal) => {
            if (controller.signal.aborted) return false;
            controller.abort();
            process.stderr.write(`\ndataalm: ${signal} received, canceling the operation (again to abort at once)\n`);
            return true;
          },
        },
      );
    });

  env
    .command('redeploy-scale-unit')
    .description("redeploy a retail environment's scale unit: its channel database record (retailchanneldatabase) is made anew")
    .argument('<name>', 'environment name')
    .option('--json', 'print the record as JSON')
    .addHelpText(
      'after',
      `
The scale unit of environment NAME is cloud-NAME. Refused (exit 12) when the environment
does not use retail or an operation is running on it; its database must answer (exit 13).`,
    )
    .action(async (name: string, o: { json?: boolean }) => {
      const done = (result: ScaleUnitRecord) => {
        if (o.json) printJson(result);
        else process.stdout.write(`Scale unit ${result.scaleUnit} of ${name} redeployed: channel database record ${String(result.record.recid)} (${String(result.record.connectioninfo)}).\n`);
      };
      await withBackend(o, {
        local: async (runtime) => done(await redeployScaleUnit(runtime, name, localActor())),
        remote: async (client) => done(await client.call('POST /api/environments/:name/redeploy-scale-unit', { params: { name } })),
      });
    });
}
