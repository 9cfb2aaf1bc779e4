import { z } from 'zod';
import { ASSET_KINDS, type Asset, type SharedAsset } from '../domain/asset.js';
import { jsonObject, reason } from './common.js';

/** The versions a package sets when it is applied. */
export const assetSets = z.strictObject({
  applicationRelease: z.string().optional(),
  platformUpdate: z.number().optional(),
  financialReportingVersion: z.string().optional(),
  components: z.record(z.string(), z.string()).optional(),
});

/** A deployable package of the project's asset library: what it sets, not its scripts' text or its files' bytes. */
export const asset = z.strictObject({
  id: z.number(),
  name: z.string(),
  kind: z.enum(ASSET_KINDS),
  version: z.string(),
  description: z.string().nullable(),
  /** Application releases it applies to: "10.0.38", "10.0.*" or "*". */
  appliesTo: z.array(z.string()),
  sets: assetSets,
  /** Script names by database role. */
  scripts: z.record(z.string(), z.array(z.string())),
  files: z.array(z.strictObject({ path: z.string(), bytes: z.number(), sha256: z.string() })),
  /** The shared asset it was imported from, if any. */
  shared: z.string().nullable(),
  importedBy: z.string(),
  importedAt: z.string(),
}) satisfies z.ZodType<Asset>;

/** One script of a package: its name and its SQL as written ({{environment}} and the like are filled in when it runs). */
export const assetScript = z.strictObject({ name: z.string(), sql: z.string() });

/** A package with its scripts' SQL, by database role in the order they run. */
export const assetDetails = asset.extend({ scripts: z.record(z.string(), z.array(assetScript)) });

/** A shared asset that ships with dataalm, before it is imported: what it is, and the name to import it by. */
export const sharedAsset = asset
  .pick({ name: true, kind: true, version: true, description: true, appliesTo: true, sets: true })
  .extend({ shared: z.string() }) satisfies z.ZodType<SharedAsset>;

/** A package of the library as judged for one environment. */
export const environmentPackage = z.strictObject({ asset, applicable: z.boolean(), reasons: z.array(reason) });

/** A retail scale unit's channel database record, made anew. */
export const scaleUnitRecord = z.strictObject({ scaleUnit: z.string(), record: jsonObject });
