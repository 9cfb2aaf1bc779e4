import { openSession } from '../adapters/postgres/database-servers.js';
import type { Actor } from '../domain/actor.js';
import fs from 'node:fs';
import path from 'node:path';
import { DataalmError } from '../domain/errors/dataalm-error.js';
import { componentVersions } from '../domain/asset.js';
import type { DatabaseRole, Environment } from '../domain/environment.js';
import { parseNewEnvironment } from '../domain/environment-input.js';
import { BUILT_IN_PROFILE_NAMES, loadProfile } from '../adapters/profile/profile-files.js';
import { probeDatabase } from '../adapters/postgres/database-probe.js';
import { readSchemaVersion } from '../adapters/postgres/server-versions.js';
import type { Runtime } from './runtime.js';

/** Raw input for a new environment: URLs as typed, versions as strings or numbers. */
export type EnvironmentRequest = Record<string, unknown> & { databaseUrls: Record<string, unknown> };

/**
 * Registers an environment after checking every field and that its databases answer.
 * Nothing is written unless all checks pass.
 */
export async function addEnvironment(runtime: Runtime, request: EnvironmentRequest, actor: Actor): Promise<Environment> {
  const input = parseNewEnvironment(request, { versions: profileCarriesVersions(request.profile) });
  const profile = resolveProfile(input.profile);
  const documentStorage = input.documentStorage === null ? null : checkStorage(input.documentStorage);
  if (await runtime.environments.find(input.name)) {
    throw new DataalmError('ALREADY_EXISTS', `name: environment "${input.name}" already exists`, { field: 'name' });
  }
  await probeDatabase(input.databaseUrls.application!, 'databaseUrls.application (--app-db)');
  if (input.databaseUrls.financialReporting !== undefined) {
    await probeDatabase(input.databaseUrls.financialReporting, 'databaseUrls.financialReporting (--reporting-db)');
  }
  return runtime.environments.add({ ...input, profile, documentStorage }, actor);
}

/** What a person may change of a registered environment; a database URL given replaces that connection. */
export interface EnvironmentChange {
  readonly tenant?: string;
  readonly administrator?: string;
  readonly documentStorage?: string | null;
  readonly syncCommand?: string | null;
  readonly databaseUrls?: { readonly application?: string; readonly financialReporting?: string };
}

/**
 * Changes a registered environment with the checks of a new one (the same parser, so the same
 * messages): the environment as it would be is checked whole, then each database URL given
 * must answer. Its name, type, profile and versions stay (packages change versions).
 */
export async function changeEnvironment(runtime: Runtime, name: string, change: EnvironmentChange, actor: Actor): Promise<Environment> {
  const current = await runtime.environments.get(name);
  const urls = await runtime.environments.connectionUrls(name);
  const given = Object.fromEntries(Object.entries(change.databaseUrls ?? {}).filter(([, url]) => url !== undefined && url !== '')) as Partial<Record<DatabaseRole, string>>;
  const changed = [
    ...(['tenant', 'administrator', 'documentStorage', 'syncCommand'] as const).filter((field) => change[field] !== undefined && change[field] !== current[field]),
    ...Object.keys(given).map((role) => `databaseUrls.${role}`),
  ];
  if (changed.length === 0) return current;
  const input = parseNewEnvironment(
    {
      name: current.name,
      type: current.type,
      tenant: change.tenant ?? current.tenant,
      administrator: change.administrator ?? current.administrator,
      ...(current.applicationRelease === null ? {} : { applicationRelease: current.applicationRelease }),
      ...(current.platformUpdate === null ? {} : { platformUpdate: current.platformUpdate }),
      ...(current.financialReportingVersion === null ? {} : { financialReportingVersion: current.financialReportingVersion }),
      retail: current.retail,
      profile: current.profile,
      documentStorage: change.documentStorage === undefined ? current.documentStorage : change.documentStorage,
      syncCommand: change.syncCommand === undefined ? current.syncCommand : change.syncCommand,
      databaseUrls: { ...urls, ...given },
    },
    { versions: profileCarriesVersions(current.profile) },
  );
  const documentStorage = input.documentStorage === null ? null : checkStorage(input.documentStorage);
  if (given.application !== undefined) await probeDatabase(given.application, 'databaseUrls.application (--app-db)');
  if (given.financialReporting !== undefined) await probeDatabase(given.financialReporting, 'databaseUrls.financialReporting (--reporting-db)');
  return runtime.environments.update(name, { tenant: input.tenant, administrator: input.administrator, documentStorage, syncCommand: input.syncCommand, databaseUrls: given }, changed, actor);
}

/** A document storage folder by absolute path; it must exist. */
function checkStorage(folder: string): string {
  const resolved = path.resolve(folder);
  if (!fs.statSync(resolved, { throwIfNoEntry: false })?.isDirectory()) {
    throw new DataalmError('INVALID_INPUT', `documentStorage (--storage): ${resolved} is not a folder`, { field: 'documentStorage' });
  }
  return resolved;
}

/**
 * Whether environments of this profile (a built-in name or a file) carry the seed's release,
 * platform update and financial reporting version. A profile that cannot be read is said to
 * be wrong where it is resolved, not here.
 */
export function profileCarriesVersions(profile: unknown): boolean {
  if (typeof profile !== 'string' || profile === '') return false;
  try {
    return loadProfile(profile).environmentVersions !== undefined;
  } catch {
    return false;
  }
}

/** A built-in name stays a name; a file must hold a valid profile and is stored by absolute path. */
function resolveProfile(profile: string): string {
  loadProfile(profile);
  return BUILT_IN_PROFILE_NAMES.includes(profile) ? profile : path.resolve(profile);
}

/**
 * Connection URLs of a non-production environment. Production credentials are never
 * handed out (the seed: only sandbox credentials are shown). Every request is audited.
 */
export async function environmentCredentials(
  runtime: Runtime,
  name: string,
  actor: Actor,
): Promise<Partial<Record<DatabaseRole, string>>> {
  const environment = await runtime.environments.get(name);
  if (environment.type === 'production') {
    await runtime.environments.audit(actor, 'environment.credentials.refused', name);
    throw new DataalmError('FORBIDDEN', `credentials of production environment "${name}" are never shown`, {
      field: 'name',
    });
  }
  await runtime.environments.audit(actor, 'environment.credentials', name);
  return runtime.environments.connectionUrls(name);
}

export interface VersionDetails {
  /** Null for an environment whose profile carries no such versions. */
  readonly applicationRelease: string | null;
  readonly platformUpdate: number | null;
  readonly financialReportingVersion: string | null;
  /** Each component with its version; a database that does not answer says so. */
  readonly components: readonly { readonly name: string; readonly version: string }[];
}

/**
 * Detailed version information: each component with its version (ApplicationSuite, the
 * platform, MRApplicationService for financial reporting, and what packages set, such as
 * RetailServer), and the PostgreSQL server each database runs on, asked of the server
 * itself (a few seconds at most).
 */
export async function environmentVersions(runtime: Runtime, environment: Environment): Promise<VersionDetails> {
  const urls = await runtime.environments.connectionUrls(environment.name);
  const components = Object.entries(componentVersions(environment)).map(([name, version]) => ({ name, version }));
  const labels: Record<DatabaseRole, string> = { application: 'application database', financialReporting: 'financial reporting database' };
  const query = schemaVersionQuery(environment.profile);
  if (query !== undefined && urls.application !== undefined) {
    components.push({ name: 'Application schema', version: await schemaVersion(urls.application, query) });
  }
  for (const [role, url] of Object.entries(urls) as [DatabaseRole, string][]) {
    components.push({ name: `PostgreSQL (${labels[role]})`, version: await serverVersion(url) });
  }
  return {
    applicationRelease: environment.applicationRelease,
    platformUpdate: environment.platformUpdate,
    financialReportingVersion: environment.financialReportingVersion,
    components,
  };
}

/** The profile's schemaVersion query, when it can be read and names one. */
function schemaVersionQuery(profile: string): string | undefined {
  try {
    return loadProfile(profile).schemaVersion?.query;
  } catch {
    return undefined;
  }
}

/** The application's schema version by the profile's query: "none" when it gives no value. */
async function schemaVersion(url: string, query: string): Promise<string> {
  const session = await openSession(url, 'dataalm versions', { connectMs: 3000, queryMs: 3000 }).catch(() => undefined);
  if (!session) return 'not reachable';
  try {
    return (await readSchemaVersion(session, query)) ?? 'none';
  } catch (error) {
    return `not readable (${(error as Error).message})`;
  } finally {
    await session.end().catch(() => {});
  }
}

async function serverVersion(url: string): Promise<string> {
  const session = await openSession(url, 'dataalm versions', { connectMs: 3000, queryMs: 3000 }).catch(() => undefined);
  if (!session) return 'not reachable';
  try {
    return (await session.query<{ server_version: string }>('show server_version')).rows[0]!.server_version.split(' ')[0]!;
  } catch {
    return 'not reachable';
  } finally {
    await session.end().catch(() => {});
  }
}
