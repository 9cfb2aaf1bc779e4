import { z } from 'zod';
import { judgeApply } from '../../../domain/asset.js';
import { can } from '../../../domain/access.js';
import { DataalmError } from '../../../domain/errors/dataalm-error.js';
import type { Principal } from '../../../app/accounts.js';
import { importAsset, importSharedAsset, redeployScaleUnit, requestApply, sharedAssets } from '../../../app/assets/asset-service.js';
import { MAX_ASSET_BYTES, parseManifest } from '../../../app/assets/manifests.js';
import { importUploadedPackage } from '../../../app/assets/package-upload.js';
import { enqueueOperation } from '../../../app/worker/operation-worker.js';
import type { Runtime } from '../../../app/runtime.js';
import { type ApiRoute, route } from '../api-route.js';
import { idParams, nameParams } from '../params.js';

/** Changing a production environment is the project owner's alone: a package runs SQL there. */
function checkProduction(principal: Principal, type: string, what: string): void {
  if (type === 'production' && !can(principal.user.role, 'manage-environments')) {
    throw new DataalmError('FORBIDDEN', `${what} a production environment is for the project owner`, { field: 'name' });
  }
}

export function assetRoutes(runtime: Runtime): ApiRoute[] {
  return [
    route({
      method: 'GET',
      url: '/api/assets',
      access: 'read',
      tag: 'assets',
      summary: "The project's asset library: deployable packages, oldest first",
      success: { description: 'packages' },
      handler: async () => runtime.assets.list(),
    }),
    route({
      method: 'GET',
      url: '/api/assets/shared',
      access: 'read',
      tag: 'assets',
      summary: 'The shared assets that ship with dataalm (the Environment Reprovisioning Tool among them), to import',
      success: { description: 'shared assets' },
      handler: async () => sharedAssets(),
    }),
    route({
      method: 'POST',
      url: '/api/assets',
      access: 'operate',
      tag: 'assets',
      summary:
        'Import a package: a shared asset by name ({"shared": NAME}), or, for the project owner, a manifest with its scripts and files inline ({"manifest": {...}}) or a package file with the files it names ({"upload": {"name", "text", "files"}})',
      bodyLimit: Math.ceil(MAX_ASSET_BYTES * 1.4),
      rateLimit: { max: 30, windowMs: 10 * 60_000 },
      body: z.union([
        z.object({ shared: z.string().min(1).max(100) }).strict(),
        z.object({ manifest: z.record(z.string(), z.unknown()) }).strict(),
        // A package file as the browser uploads it: the manifest's text and the files beside it (base64).
        z
          .object({ upload: z.object({ name: z.string().min(1).max(200), text: z.string(), files: z.record(z.string(), z.string()).default({}) }).strict() })
          .strict(),
      ]),
      success: { description: 'the package, now in the library' },
      async handler({ body, actor, principal, reply }) {
        // A package of one's own is SQL and files that will run where it is applied, even on
        // production by the owner, and after every retail refresh: the owner's to bring in.
        // The shared assets ship with dataalm.
        if (!('shared' in body) && !can(principal.user.role, 'manage-environments')) {
          throw new DataalmError('FORBIDDEN', 'importing a package of your own is for the project owner; shared assets may be imported by environment managers', {
            field: 'manifest' in body ? 'manifest' : 'upload',
          });
        }
        const asset =
          'shared' in body
            ? await importSharedAsset(runtime, body.shared, actor)
            : 'upload' in body
              ? await importUploadedPackage(runtime, body.upload, actor)
              : await importAsset(runtime, parseManifest(body.manifest, 'manifest'), actor);
        return reply.status(201).send(asset);
      },
    }),
    route({
      method: 'GET',
      url: '/api/assets/:id',
      access: 'operate',
      tag: 'assets',
      summary: "One package: what it sets, its scripts' SQL, its files' sizes and checksums (to read before applying it)",
      params: idParams,
      success: { description: 'the package' },
      async handler({ params }) {
        const asset = await runtime.assets.get(params.id);
        return { ...asset, scripts: (await runtime.assets.manifest(asset.id)).scripts };
      },
    }),
    route({
      method: 'GET',
      url: '/api/environments/:name/packages',
      access: 'read',
      tag: 'assets',
      summary: 'Every package of the library for this environment: applicable, or the reasons it is not',
      params: nameParams,
      success: { description: 'packages with their verdict' },
      async handler({ params }) {
        const environment = await runtime.environments.get(params.name);
        return (await runtime.assets.list()).map((asset) => {
          const reasons = judgeApply(environment, asset);
          return { asset, applicable: reasons.length === 0, reasons };
        });
      },
    }),
    route({
      method: 'POST',
      url: '/api/environments/:name/apply',
      access: 'operate',
      tag: 'operations',
      summary: 'Apply a package of the library to the environment (Apply updates): queued for a worker, with a runbook',
      params: nameParams,
      body: z.object({ package: z.number().int().positive() }).strict(),
      success: { description: 'queued (follow /api/operations/{id}/events)' },
      async handler({ params, body, actor, principal, reply }) {
        const environment = await runtime.environments.get(params.name);
        checkProduction(principal, environment.type, 'applying a package to');
        const id = await requestApply(runtime, { environment: environment.name, package: body.package, actor });
        await enqueueOperation(runtime, id);
        return reply.status(202).send({ operation: await runtime.operations.get(id) });
      },
    }),
    route({
      method: 'POST',
      url: '/api/environments/:name/redeploy-scale-unit',
      access: 'operate',
      tag: 'environments',
      summary: "Redeploy the environment's retail scale unit: its channel database record is made anew",
      params: nameParams,
      success: { description: 'the regenerated record' },
      async handler({ params, actor, principal }) {
        const environment = await runtime.environments.get(params.name);
        checkProduction(principal, environment.type, 'redeploying the scale unit of');
        return redeployScaleUnit(runtime, environment.name, actor);
      },
    }),
  ];
}
