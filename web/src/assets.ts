import type { AssetKind, AssetSets, DatabaseRole, Environment } from './api/types';

/** Each kind of deployable package in words. */
export const KIND_LABELS: Readonly<Record<AssetKind, string>> = {
  binary: 'Platform and application binary package',
  'financial-reporting': 'Financial reporting update',
  retail: 'Retail deployable package',
  'reprovisioning-tool': 'Environment Reprovisioning Tool',
};

export const kindLabel = (kind: string) => KIND_LABELS[kind as AssetKind] ?? kind;

/** Each database of an environment in words, in the order a package's scripts run on them. */
export const DATABASE_ROLE_LABELS: Readonly<Record<DatabaseRole, string>> = { application: 'Application', financialReporting: 'Financial reporting' };

export const databaseRoleLabel = (role: string) => DATABASE_ROLE_LABELS[role as DatabaseRole] ?? role;

/** The component of every environment's financial reporting service. */
export const REPORTING_COMPONENT = 'MRApplicationService';

/** A version a package changes, named as the service names it (applicationRelease, platformUpdate, a component). */
export interface VersionChange {
  readonly field: string;
  readonly from: string | null;
  readonly to: string;
}

const FIELD_LABELS: Readonly<Record<string, string>> = {
  applicationRelease: 'Application release',
  platformUpdate: 'Platform update',
  [REPORTING_COMPONENT]: `Financial reporting (${REPORTING_COMPONENT})`,
};

export const fieldLabel = (field: string) => FIELD_LABELS[field] ?? field;

/**
 * The seed's three versions as detail rows, for an environment whose profile carries them
 * (finance-operations); none for an application without them.
 */
export function seedVersionItems(environment: Pick<Environment, 'applicationRelease' | 'platformUpdate' | 'financialReportingVersion'>, reportingLabel = 'Financial reporting'): [string, string][] {
  if (environment.applicationRelease === null) return [];
  return [
    ['Application release', environment.applicationRelease],
    ['Platform update', String(environment.platformUpdate)],
    [reportingLabel, environment.financialReportingVersion ?? ''],
  ];
}

/** The versions a package sets, as the service compares them with an environment's. */
export function versionChanges(environment: Pick<Environment, 'applicationRelease' | 'platformUpdate' | 'financialReportingVersion' | 'components'>, sets: AssetSets): VersionChange[] {
  const changes: VersionChange[] = [];
  if (sets.applicationRelease !== undefined) changes.push({ field: 'applicationRelease', from: environment.applicationRelease, to: sets.applicationRelease });
  if (sets.platformUpdate !== undefined) {
    changes.push({ field: 'platformUpdate', from: environment.platformUpdate === null ? null : String(environment.platformUpdate), to: String(sets.platformUpdate) });
  }
  if (sets.financialReportingVersion !== undefined) {
    changes.push({ field: REPORTING_COMPONENT, from: environment.financialReportingVersion, to: sets.financialReportingVersion });
  }
  for (const [name, version] of Object.entries(sets.components ?? {})) changes.push({ field: name, from: environment.components[name] ?? null, to: version });
  return changes;
}

/** "Application release 10.0.37 → 10.0.38"; "RetailServer → 10.0.38.1" for a component it adds. */
export function changeText(change: VersionChange): string {
  if (change.from === change.to) return `${fieldLabel(change.field)} ${change.to} (unchanged)`;
  return `${fieldLabel(change.field)} ${change.from ?? 'none'} → ${change.to}`;
}

/** What a package sets, one entry a version: "Application release 10.0.38", "RetailServer 10.0.38.1". */
export function setsText(sets: AssetSets): string[] {
  const none = { applicationRelease: '', platformUpdate: 0, financialReportingVersion: '', components: {} };
  return versionChanges(none, sets).map((change) => `${fieldLabel(change.field)} ${change.to}`);
}

/** "10.0.37", "every release" for "*". */
export function releasesText(appliesTo: readonly string[]): string {
  return appliesTo.map((release) => (release === '*' ? 'every release' : release)).join(', ');
}

/** Compares dotted versions part by part as numbers: negative when a is older. */
export function compareVersions(a: string, b: string): number {
  const left = a.split('.').map(Number);
  const right = b.split('.').map(Number);
  for (let i = 0; i < Math.max(left.length, right.length); i += 1) {
    const difference = (left[i] ?? 0) - (right[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

/** A package's name, and its version unless the name already says it. */
export function packageName(asset: { readonly name: string; readonly version: string }, separator = ' '): string {
  return asset.name.includes(asset.version) ? asset.name : `${asset.name}${separator}${asset.version}`;
}
