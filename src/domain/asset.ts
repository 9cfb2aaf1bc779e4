import { z } from 'zod';
import type { Environment } from './environment.js';
import type { RefusalReason } from './operation.js';
import { compareVersions } from './refresh-rules.js';

/**
 * Terminology
 * - Asset: a deployable package in the project's asset library, described by its manifest.
 * - Shared asset: a package that ships with dataalm (the Environment Reprovisioning Tool,
 *   updates for the demo's releases); importing one copies it into the library.
 * - Apply: running a package on one environment (its scripts, its files into document
 *   storage) and setting the versions it names. An operation with a runbook.
 * - Component: a named part of an environment with a version, as "detailed version
 *   information" lists them; MRApplicationService is the financial reporting service.
 */
export const ASSET_KINDS = ['binary', 'financial-reporting', 'retail', 'reprovisioning-tool'] as const;
export type AssetKind = (typeof ASSET_KINDS)[number];

export const ASSET_KIND_LABELS: Record<AssetKind, string> = {
  binary: 'Platform and application binary package',
  'financial-reporting': 'Financial reporting update',
  retail: 'Retail deployable package',
  'reprovisioning-tool': 'Environment Reprovisioning Tool',
};

/** The component every environment has for its financial reporting service. */
export const REPORTING_COMPONENT = 'MRApplicationService';

const release = /^\d+\.\d+\.\d+$/;
const dotted = /^\d+(\.\d+){0,3}$/;
const componentName = /^[A-Za-z][A-Za-z0-9_.-]{0,62}$/;
/** A relative path inside document storage: no "..", no absolute path, no backslash. */
const storagePath = /^(?!.*(^|\/)\.\.?(\/|$))(?!.*\/\/)(?!.*\/$)[A-Za-z0-9_][A-Za-z0-9 _.\-/]{0,250}$/;

/**
 * Values a script may name, each replaced by a quoted SQL literal of the environment's
 * value (never pasted as text): `{{environment}}`, `{{tenant}}`, `{{administrator}}`,
 * `{{scaleUnit}}`.
 */
export const SCRIPT_PLACEHOLDERS = ['environment', 'tenant', 'administrator', 'scaleUnit'] as const;
const PLACEHOLDER = /\{\{\s*([A-Za-z]+)\s*\}\}/g;

const scriptSchema = z
  .object({
    name: z.string().min(1).max(200),
    sql: z
      .string()
      .min(1, 'must hold SQL')
      .refine((sql) => [...sql.matchAll(PLACEHOLDER)].every((m) => (SCRIPT_PLACEHOLDERS as readonly string[]).includes(m[1]!)), {
        message: `may name only ${SCRIPT_PLACEHOLDERS.map((p) => `{{${p}}}`).join(', ')}`,
      }),
  })
  .strict();

/** The scale unit whose channel database record belongs to an environment. */
export function scaleUnitOf(environment: Pick<Environment, 'name'>): string {
  return `cloud-${environment.name}`;
}

/** A script with its placeholders replaced by quoted literals (`quote` is the driver's). */
export function renderScript(sql: string, environment: Environment, quote: (value: string) => string): string {
  const values: Record<(typeof SCRIPT_PLACEHOLDERS)[number], string> = {
    environment: environment.name,
    tenant: environment.tenant,
    administrator: environment.administrator,
    scaleUnit: scaleUnitOf(environment),
  };
  return sql.replace(PLACEHOLDER, (_, name: string) => quote(values[name as keyof typeof values]));
}

const fileSchema = z
  .object({
    path: z.string().regex(storagePath, 'must be a relative path inside document storage, without ".."'),
    /** The file's bytes, base64. */
    content: z.string().regex(/^[A-Za-z0-9+/=\s]*$/, 'must be base64'),
  })
  .strict();

/**
 * A package's manifest as the library keeps it: scripts and files inline. A manifest file
 * may name scripts and files by path instead (`file:`, `from:`); they are read on import.
 */
export const assetManifestSchema = z
  .object({
    name: z.string().min(1).max(200),
    kind: z.enum(ASSET_KINDS, { message: `must be one of ${ASSET_KINDS.join(', ')}` }),
    version: z.string().regex(dotted, 'must look like 1.2 or 10.0.38.5'),
    description: z.string().max(2000).optional(),
    /** Application releases it applies to: "10.0.38", "10.0.*" or "*". */
    appliesTo: z.array(z.string().regex(/^(\*|\d+\.\d+\.(\d+|\*))$/, 'must be a release such as 10.0.38, 10.0.* or *')).min(1),
    sets: z
      .object({
        applicationRelease: z.string().regex(release, 'must look like 10.0.38').optional(),
        platformUpdate: z.number().int().min(0).optional(),
        financialReportingVersion: z.string().regex(/^\d+\.\d+\.\d+\.\d+$/, 'must look like 10.0.38.3').optional(),
        components: z.record(z.string().regex(componentName, 'must be a component name such as RetailServer'), z.string().regex(dotted)).optional(),
      })
      .strict()
      .default({}),
    scripts: z
      .object({
        application: z.array(scriptSchema).optional(),
        financialReporting: z.array(scriptSchema).optional(),
      })
      .strict()
      .default({}),
    files: z.array(fileSchema).default([]),
  })
  .strict()
  .superRefine((value, ctx) => {
    if (value.sets.components?.[REPORTING_COMPONENT] !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['sets', 'components', REPORTING_COMPONENT], message: 'is set by sets.financialReportingVersion' });
    }
    const seen = new Set<string>();
    for (const [index, file] of value.files.entries()) {
      if (seen.has(file.path)) ctx.addIssue({ code: 'custom', path: ['files', index, 'path'], message: `${file.path} is named twice` });
      seen.add(file.path);
    }
  });
export type AssetManifest = z.infer<typeof assetManifestSchema>;

/** An asset as the library lists it: what it sets, not the scripts' text or the files' bytes. */
export interface Asset {
  readonly id: number;
  readonly name: string;
  readonly kind: AssetKind;
  readonly version: string;
  readonly description: string | null;
  readonly appliesTo: readonly string[];
  readonly sets: AssetManifest['sets'];
  readonly scripts: Readonly<Record<string, readonly string[]>>;
  readonly files: readonly { readonly path: string; readonly bytes: number; readonly sha256: string }[];
  readonly shared: string | null;
  readonly importedBy: string;
  readonly importedAt: string;
}

/** A shared asset that ships with dataalm, before it is imported: its folder's name and what it is. */
export type SharedAsset = Pick<Asset, 'name' | 'kind' | 'version' | 'description' | 'appliesTo' | 'sets'> & { readonly shared: string };

/** The one with the highest version; of equal versions, the later in the list (the later import). */
export function highestVersion<T extends { readonly version: string }>(list: readonly T[]): T | undefined {
  return list.reduce<T | undefined>((best, a) => (best === undefined || compareVersions(a.version, best.version) >= 0 ? a : best), undefined);
}

/** How a package is named to people: its name, and its version unless the name says it. */
export function packageLabel(asset: { name: string; version: string }): string {
  return asset.name.includes(asset.version) ? asset.name : `${asset.name} ${asset.version}`;
}

/** Component name → version: the environment's three versions (when it has them), then what packages set. */
export function componentVersions(environment: Pick<Environment, 'applicationRelease' | 'platformUpdate' | 'financialReportingVersion' | 'components'>): Record<string, string> {
  return {
    ...(environment.applicationRelease === null ? {} : { ApplicationSuite: environment.applicationRelease }),
    ...(environment.platformUpdate === null ? {} : { ApplicationPlatform: `PU${environment.platformUpdate}` }),
    ...(environment.financialReportingVersion === null ? {} : { [REPORTING_COMPONENT]: environment.financialReportingVersion }),
    ...environment.components,
  };
}

export function releaseMatches(pattern: string, releaseName: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return releaseName.startsWith(pattern.slice(0, -1));
  return pattern === releaseName;
}

/** The versions an environment has after the package, and each change it makes. */
export function versionChanges(environment: Environment, sets: AssetManifest['sets']): { field: string; from: string | null; to: string }[] {
  const changes: { field: string; from: string | null; to: string }[] = [];
  if (sets.applicationRelease !== undefined) changes.push({ field: 'applicationRelease', from: environment.applicationRelease, to: sets.applicationRelease });
  if (sets.platformUpdate !== undefined) {
    changes.push({ field: 'platformUpdate', from: environment.platformUpdate === null ? null : String(environment.platformUpdate), to: String(sets.platformUpdate) });
  }
  if (sets.financialReportingVersion !== undefined) {
    changes.push({ field: REPORTING_COMPONENT, from: environment.financialReportingVersion, to: sets.financialReportingVersion });
  }
  for (const [name, version] of Object.entries(sets.components ?? {})) {
    changes.push({ field: name, from: environment.components[name] ?? null, to: version });
  }
  return changes;
}

/**
 * Whether a package may be applied to an environment: it must be for the environment's
 * release, set no version lower than the one there (the same version again is allowed:
 * re-applying a package puts its files back), and a retail package needs a retail
 * environment. Every failing rule gives a reason. Pure.
 */
export function judgeApply(environment: Environment, asset: Pick<Asset, 'id' | 'name' | 'kind' | 'appliesTo' | 'sets'>): RefusalReason[] {
  const reasons: RefusalReason[] = [];
  const release = environment.applicationRelease;
  if (release === null) {
    // An environment of an application without the seed's versions takes packages for any
    // release ("*") that set none of them.
    const sets = [asset.sets.applicationRelease, asset.sets.platformUpdate, asset.sets.financialReportingVersion].some((v) => v !== undefined);
    if (!asset.appliesTo.includes('*') || sets) {
      reasons.push({
        code: 'PACKAGE_NOT_FOR_RELEASE',
        message: `package ${asset.id} (${asset.name}) ${sets ? 'sets' : `applies to release ${asset.appliesTo.join(', ')} and needs`} an application release, platform update or financial reporting version, and ${environment.name} has none (its profile does not carry them)`,
        remedy: 'choose a package that applies to any release ("*") and sets none of these versions (dataalm asset list)',
      });
    }
  } else if (!asset.appliesTo.some((p) => releaseMatches(p, release))) {
    reasons.push({
      code: 'PACKAGE_NOT_FOR_RELEASE',
      message: `package ${asset.id} (${asset.name}) applies to release ${asset.appliesTo.join(', ')}; ${environment.name} runs ${release}`,
      remedy: `choose a package for release ${release} (dataalm asset list)`,
    });
  }
  for (const change of versionChanges(environment, asset.sets)) {
    if (change.from === null) continue;
    const older = change.field === 'platformUpdate' ? Number(change.to) < Number(change.from) : compareVersions(change.to, change.from) < 0;
    if (older) {
      reasons.push({
        code: 'PACKAGE_DOWNGRADE',
        message: `package ${asset.id} (${asset.name}) would downgrade ${environment.name}'s ${label(change.field)} from ${change.from} to ${change.to}`,
        remedy: `a package never lowers a version: choose one that sets ${label(change.field)} ${change.from} or later`,
      });
    }
  }
  if ((asset.kind === 'retail' || asset.kind === 'reprovisioning-tool') && !environment.retail) {
    reasons.push({
      code: 'NOT_RETAIL',
      message: `package ${asset.id} (${asset.name}) is for retail environments; ${environment.name} does not use retail`,
      remedy: `register ${environment.name} with --retail if it uses retail`,
    });
  }
  return reasons;
}

function label(field: string): string {
  return field === 'applicationRelease' ? 'application release' : field === 'platformUpdate' ? 'platform update' : field;
}

/** Something a person still has to do on an environment. */
export interface PendingAction {
  readonly code: string;
  readonly message: string;
  readonly remedy: string;
  readonly since: string;
  readonly operation: number | null;
}

/** The pending action a retail refresh leaves when its post step does not run the tool. */
export const REPROVISION_ACTION = 'RUN_REPROVISIONING_TOOL';
/** The pending action when document storage holds no self-service installers. */
export const INSTALLERS_ACTION = 'INSTALLERS_MISSING';
/** The shared asset of the Environment Reprovisioning Tool. */
export const REPROVISIONING_TOOL = 'environment-reprovisioning-tool';
/** Where self-service installers live in an environment's document storage. */
export const INSTALLERS_FOLDER = 'retail/self-service';
