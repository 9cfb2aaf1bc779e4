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
  const documentStorage = input.documentStorage === null ? null : path.resolve(input.documentStorage);
  if (documentStorage !== null && !fs.statSync(documentStorage, { throwIfNoEntry: false })?.isDirectory()) {
    throw new DataalmError('INVALID_INPUT', `documentStorage (--storage): ${documentStorage} is not a folder`, {
      field: 'documentStorage',
    });
  }
  if (await runtime.environments.find(input.name)) {
    throw new DataalmError('ALREADY_EXISTS', `name: environment "${input.name}" already exists`, { field: 'name' });
  }
  await probeDatabase(input.databaseUrls.application!, 'databaseUrls.application (--app-db)');
  if (input.databaseUrls.financialReporting !== undefined) {
    await probeDatabase(input.databaseUrls.financialReporting, 'databaseUrls.financialReporting (--reporting-db)');
  }
  return runtime.environments.add({ ...input, profile, documentStorage }, actor);
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
