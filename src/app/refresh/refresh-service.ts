import type { Actor } from '../../domain/actor.js';
import { openSession } from '../../adapters/postgres/database-servers.js';
import type { SqlSession } from '../../ports/database-server.js';
import { DataalmError, RefusedError } from '../../domain/errors/dataalm-error.js';
import type { DatabaseRole, Environment } from '../../domain/environment.js';
import { REFRESH_STEPS, type RefusalReason } from '../../domain/operation.js';
import {
  type DatabaseFacts,
  type DatabaseProbe,
  type PackageNeed,
  type RefreshFacts,
  packageNeeds,
  probeRoles,
  refreshRefusals,
  refreshWarnings,
} from '../../domain/preflight/refresh-preflight.js';
import type { Profile } from '../../domain/profile/profile-schema.js';
import { remedyPackage } from '../assets/asset-service.js';
import { loadProfile } from '../../adapters/profile/profile-files.js';
import { unreachable } from '../../adapters/postgres/database-probe.js';
import { parseConnectionUrl } from '../../adapters/postgres/connection-url.js';
import type { Runtime } from '../runtime.js';
import { previewAccess } from './access-preview.js';
import { reapAbandoned } from './abandoned.js';
import { operationFingerprint } from './fingerprint.js';
import { probeCopyNeeds } from './copy-needs-probe.js';
import { probeAppVersions } from './app-versions-probe.js';
import { resolveProfileAgainst } from '../profile-service.js';
import type { ResolvedProfile } from '../../engine/profile-rules.js';
import { type NotCopied, notCopiedEntries, profileWarnings, replacedDatabases, resetsAdministrator } from './preview-wording.js';
import type { CopyRole } from '../../domain/preflight/copy-needs.js';
import type { SchemaVersionProbe } from '../../domain/preflight/app-versions.js';
import { type PreviewSchema, previewSchema } from './schema-drift.js';
import { type PreviewMethod, previewMethod } from './mirror-preview.js';

export const PRODUCTION_REPORTING_NOTICE =
  'Copying production data to a sandbox for the purpose of production reporting is not supported.';

const ROLES: readonly DatabaseRole[] = ['application', 'financialReporting'];

/** Throughput assumed for an estimate before this project has measured a refresh of its own. */
const DEFAULT_BYTES_PER_SECOND = 40 * 1024 * 1024;

export interface PreflightResult {
  readonly reasons: RefusalReason[];
  readonly warnings: string[];
  readonly source: Environment | undefined;
  readonly target: Environment | undefined;
  readonly profile: Profile | undefined;
  /** The database roles the copy involves, source → target (each pair of databases', once). */
  readonly roles: readonly CopyRole[];
  /** The profile's schemaVersion query on both application databases, when it names one. */
  readonly schemaVersion?: SchemaVersionProbe | undefined;
  /** The profile read against the source's catalog (which rule decides each table), when it could be. */
  readonly resolved: ResolvedProfile | undefined;
}

/**
 * Gathers what the rules need (environments, running operations, the profile, what the
 * source's and target's databases answer, packages for a remedy) and has
 * domain/preflight judge it. Reads only; `self` is the operation asking, when the runbook
 * runs the preflight again as its first step.
 */
export async function preflightRefresh(runtime: Runtime, sourceName: string, targetName: string, self?: number): Promise<PreflightResult> {
  const [source, target] = await Promise.all([runtime.environments.find(sourceName), runtime.environments.find(targetName)]);
  const targetBusy = await runtime.operations.activeOn(targetName);
  const sourceBusy = await runtime.operations.activeOn(sourceName);
  const targetIsCopied = await runtime.operations.activeFrom(targetName);
  let profile: Profile | undefined;
  let databases: DatabaseFacts | undefined;
  let jobs: RecurringJobs = { target: [], source: [] };
  let resolved: ResolvedProfile | undefined;
  if (source && target && source.name !== target.name) {
    let problem: string | undefined;
    try {
      profile = loadProfile(target.profile);
    } catch (error) {
      problem = (error as Error).message;
    }
    const sourceUrls = await runtime.environments.connectionUrls(source.name);
    const targetUrls = await runtime.environments.connectionUrls(target.name);
    const registered = (urls: Partial<Record<DatabaseRole, string>>) => ROLES.filter((role) => urls[role] !== undefined);
    const [sourceRoles, targetRoles] = [registered(sourceUrls), registered(targetUrls)];
    const probed = await probeDatabases(probeRoles(sourceRoles, targetRoles), sourceUrls, targetUrls, source, target, profile);
    jobs = probed.jobs;
    resolved = probed.resolved;
    databases = { profile: profile ? { name: profile.name } : { problem: problem! }, sourceRoles, targetRoles, probes: probed.probes };
  }
  const facts: RefreshFacts = {
    sourceName,
    targetName,
    source,
    target,
    minPlatformUpdate: runtime.config.minPlatformUpdate,
    self,
    targetBusy,
    sourceBusy,
    targetIsCopied,
    targetActiveRecurringJobs: jobs.target,
    sourceUnprocessedRecurringJobs: jobs.source,
    databases,
    // Rules 4–6 follow the target's profile; one that cannot be read is PROFILE_INVALID, and the target's versions decide.
    environmentVersions: profile ? profile.environmentVersions !== undefined : undefined,
  };
  const packages: Partial<Record<PackageNeed['key'], string>> = {};
  for (const need of packageNeeds(facts)) {
    const remedy = await remedyPackage(runtime, need.environment, need.wants);
    if (remedy !== undefined) packages[need.key] = remedy;
  }
  const judged = { ...facts, packages };
  const roles = new Map((databases?.probes ?? []).flatMap((p) => p.roles ?? []).map((r) => [`${r.source}\u0000${r.target}`, r]));
  const warnings = [...refreshWarnings(judged), ...(resolved?.warnings ?? [])];
  const schemaVersion = databases?.probes.find((p) => p.role === 'application')?.schemaVersion;
  return { reasons: refreshRefusals(judged), warnings, source, target, profile, roles: [...roles.values()], schemaVersion, resolved };
}

interface RecurringJobs {
  target: string[];
  source: { name: string; pending: number }[];
}

/**
 * Opens each role's source and target databases: whether they answer, the target user's
 * right to create and rename databases, and the profile's recurring-jobs queries (rule 7).
 */
async function probeDatabases(
  roles: readonly DatabaseRole[],
  sourceUrls: Partial<Record<DatabaseRole, string>>,
  targetUrls: Partial<Record<DatabaseRole, string>>,
  source: Environment,
  target: Environment,
  profile: Profile | undefined,
): Promise<{ probes: DatabaseProbe[]; jobs: RecurringJobs; resolved: ResolvedProfile | undefined }> {
  const probes: DatabaseProbe[] = [];
  let resolved: ResolvedProfile | undefined;
  const jobs: RecurringJobs = { target: [], source: [] };
  const open = async (environment: Environment, role: DatabaseRole, url: string): Promise<SqlSession | string> => {
    try {
      return await openSession(url, 'dataalm preflight', { connectMs: 5000 });
    } catch (error) {
      return unreachable(parseConnectionUrl(url, role), `${environment.name} ${role}`, error).message;
    }
  };
  for (const role of roles) {
    const targetUrl = targetUrls[role]!;
    const [from, to] = [await open(source, role, sourceUrls[role]!), await open(target, role, targetUrl)];
    const probe: { -readonly [K in keyof DatabaseProbe]: DatabaseProbe[K] } = { role };
    probes.push(probe);
    if (typeof from === 'string') probe.sourceUnreachable = from;
    if (typeof to === 'string') probe.targetUnreachable = to;
    try {
      if (typeof to !== 'string') {
        const rights = await to.query<{ ok: boolean; owner: boolean }>(
          `select r.rolsuper or r.rolcreatedb as ok,
                  r.rolsuper or pg_has_role(current_user, d.datdba, 'USAGE') as owner
             from pg_roles r, pg_database d where r.rolname = current_user and d.datname = current_database()`,
        );
        const row = rights.rows[0];
        probe.targetUser = { name: parseConnectionUrl(targetUrl, role).user, mayCreateDatabases: row?.ok ?? false, ownsDatabase: row?.owner ?? false };
      }
      const copyProfile = role === 'application' ? profile : loadProfile('plain');
      if (typeof from !== 'string' && typeof to !== 'string' && copyProfile) {
        const needs = await probeCopyNeeds(from, to, copyProfile, parseConnectionUrl(sourceUrls[role]!, role), parseConnectionUrl(targetUrl, role)).catch(
          (error: Error) => ({ reasons: [{ code: 'COPY_PRIVILEGES' as const, message: `what the copy of ${role} needs could not be checked: ${error.message}`, remedy: "check the source's and target's database users" }], roles: [] }),
        );
        probe.copyNeeds = needs.reasons;
        probe.roles = needs.roles;
      }
      if (role === 'application' && profile && typeof from !== 'string') {
        probe.profileFindings = await resolveProfileAgainst(from, profile).then(
          (read) => {
            resolved = read;
            // Undecided columns under coverage: strict are a reason of their own (COVERAGE_UNDECIDED).
            probe.undecidedColumns = read.findings.flatMap((f) => (f.code === 'COVERAGE_UNDECIDED' && f.column ? [f.column] : []));
            return read.findings.filter((f) => f.code === undefined).map((f) => f.message);
          },
          (error: Error) => [`it could not be read against ${source.name}'s database: ${error.message}`],
        );
      }
      Object.assign(probe, await probeAppVersions(role, from, to, profile, parseConnectionUrl(targetUrl, role)));
      if (role !== 'application' || !profile?.recurringJobs) continue;
      if (typeof to !== 'string') {
        try {
          jobs.target = (await to.query<{ name: string }>(profile.recurringJobs.active)).rows.map((r) => String(r.name));
        } catch (error) {
          probe.targetJobsError = (error as Error).message;
        }
      }
      if (typeof from !== 'string') {
        try {
          jobs.source = (await from.query<{ name: string; pending: number }>(profile.recurringJobs.unprocessed)).rows.map((r) => ({
            name: String(r.name),
            pending: Number(r.pending),
          }));
        } catch (error) {
          probe.sourceJobsError = (error as Error).message;
        }
      }
    } finally {
      await Promise.all([typeof from === 'string' ? undefined : from.end().catch(() => {}), typeof to === 'string' ? undefined : to.end().catch(() => {})]);
    }
  }
  return { probes, jobs, resolved };
}

export interface RefreshPreview {
  readonly source: PreviewEnvironment | undefined;
  readonly target: PreviewEnvironment | undefined;
  /** The account that becomes the application's administrator on the target (when a sanitize statement uses it). */
  readonly administrator: string | undefined;
  readonly profile: string | undefined;
  readonly notCopied: readonly NotCopied[];
  readonly afterwards: readonly string[];
  /** The target's access policy, when it has one its profile can apply. */
  readonly access?: { readonly users: readonly string[]; readonly groups: readonly string[] };
  readonly warnings: readonly string[];
  readonly notice: string;
  readonly estimate: { readonly bytes: number; readonly seconds: number } | undefined;
  readonly refused: boolean;
  readonly reasons: readonly RefusalReason[];
  /** The database roles of the copy: source name, target name (the profile's map), and whether the target server has it. */
  readonly roles: readonly CopyRole[];
  /** Each side's application schema version (null: not read), when the profile names a schemaVersion query. */
  readonly schemaVersion?: { readonly source: string | null; readonly target: string | null };
  /** How the source's columns changed since the target's last refresh (schema-drift.ts). */
  readonly drift?: PreviewSchema['drift'];
  /** What the profile decides of the source's columns: undecided ones, personal-looking ones copied unmasked. */
  readonly coverage?: PreviewSchema['coverage'];
  /** Cloned from the target's mirror, or copied (DESIGN §8). */
  readonly method: PreviewMethod['method'];
  readonly mirror?: PreviewMethod['mirror'];
}

interface PreviewEnvironment {
  readonly name: string;
  readonly type: string;
  readonly tenant: string;
  /** Only for an environment that carries the seed's versions. */
  readonly applicationRelease?: string;
  readonly platformUpdate?: number;
  readonly financialReportingVersion?: string;
  readonly databases: readonly string[];
}

/** Everything a person should see before confirming a refresh (DESIGN §2, Preview). */
export async function previewRefresh(runtime: Runtime, sourceName: string, targetName: string): Promise<RefreshPreview> {
  const checked = await preflightRefresh(runtime, sourceName, targetName);
  const { source, target, profile } = checked;
  const view = (e: Environment | undefined): PreviewEnvironment | undefined =>
    e && {
      name: e.name,
      type: e.type,
      tenant: e.tenant,
      ...(e.applicationRelease === null || e.platformUpdate === null || e.financialReportingVersion === null
        ? {}
        : { applicationRelease: e.applicationRelease, platformUpdate: e.platformUpdate, financialReportingVersion: e.financialReportingVersion }),
      databases: e.databases.map((d) => d.role),
    };
  const warnings = [...checked.warnings];
  if (target) {
    warnings.push(
      `${replacedDatabases(target)}. ${target.name} stays online while the copy is built, then goes offline for the cutover (well under a second); its current databases are kept as breadcrumbs for ${formatDuration(runtime.config.breadcrumbRetentionSeconds)}.`,
      ...profileWarnings(profile, target),
    );
    if (target.documentStorage) warnings.push(`Document storage is not copied: ${target.name}'s attachment files stay as they are (${target.documentStorage}).`);
    if (target.retail) {
      warnings.push(
        target.autoReprovision
          ? `${target.name} uses retail: the Environment Reprovisioning Tool runs as the refresh's last step, so its retail components match the refreshed data; its channel database records and self-service installers stay its own.`
          : `${target.name} uses retail: run the Environment Reprovisioning Tool after the refresh (Apply updates; it is left as a pending action); its channel database records and self-service installers stay its own.`,
      );
    }
  }
  const access = target ? await previewAccess(runtime, target, profile, warnings) : undefined;
  const schema = source && target && source.name !== target.name ? await previewSchema(runtime, source, target, profile).catch((): PreviewSchema => ({})) : {};
  let estimate: RefreshPreview['estimate'];
  if (source) estimate = await estimateRefresh(runtime, source.name).catch(() => undefined);
  const method: PreviewMethod = source && target && source.name !== target.name ? await previewMethod(runtime, source, target) : { method: 'copy', sentence: undefined };
  if (method.sentence) warnings.unshift(method.sentence);
  // A clone is a file copy (about 1 GiB/s here) plus the runbook's other steps.
  if (estimate && method.method === 'mirror') estimate = { bytes: estimate.bytes, seconds: Math.max(5, Math.round(estimate.bytes / 1024 ** 3) + 5) };
  return {
    source: view(source),
    target: view(target),
    administrator: profile && resetsAdministrator(profile) ? target?.administrator : undefined,
    profile: profile?.name,
    notCopied: profile ? notCopiedEntries(profile, checked.resolved) : [],
    afterwards: [...(profile?.sanitize ?? []).map((s) => s.description), ...(access ? [access.sentence] : [])],
    ...(access ? { access: access.policy } : {}),
    warnings,
    notice: PRODUCTION_REPORTING_NOTICE,
    estimate,
    refused: checked.reasons.length > 0,
    reasons: checked.reasons,
    roles: checked.roles,
    ...(checked.schemaVersion ? { schemaVersion: { source: checked.schemaVersion.source ?? null, target: checked.schemaVersion.target ?? null } } : {}),
    ...(schema.drift ? { drift: schema.drift } : {}),
    ...(schema.coverage ? { coverage: schema.coverage } : {}),
    method: method.method,
    ...(method.mirror ? { mirror: method.mirror } : {}),
  };
}

/** Size of the source's databases, and a duration from this project's last measured refresh. */
async function estimateRefresh(runtime: Runtime, sourceName: string): Promise<{ bytes: number; seconds: number }> {
  const urls = await runtime.environments.connectionUrls(sourceName);
  let bytes = 0;
  for (const url of Object.values(urls)) {
    const client = await openSession(url, 'dataalm preview', { connectMs: 5000 });
    try {
      bytes += Number((await client.query<{ size: string }>('select pg_database_size(current_database()) as size')).rows[0]!.size);
    } finally {
      await client.end();
    }
  }
  const measured = await runtime.pool.query<{ bytes: string; seconds: string }>(
    `select (st.counters->>'bytes') as bytes, (st.counters->>'seconds') as seconds
       from dataalm.operation_steps st join dataalm.operations o on o.id = st.operation_id
      where o.kind = 'refresh' and o.state = 'succeeded' and st.name = 'data' and (st.counters->>'seconds')::numeric > 0
      order by o.id desc limit 1`,
  );
  const last = measured.rows[0];
  const rate = last ? Number(last.bytes) / Number(last.seconds) : DEFAULT_BYTES_PER_SECOND;
  // The data step is about half of a refresh (schema, indexes, sanitize, synchronize, verify).
  return { bytes, seconds: Math.max(5, Math.round((bytes / Math.max(rate, 1)) * 2)) };
}

export interface RefreshRequest {
  readonly source: string;
  readonly target: string;
  readonly jobs: number;
  readonly verify: 'counts' | 'checksums';
  readonly actor: Actor;
}

/** Checks every rule and queues the refresh; a refused request changes nothing. */
export async function requestRefresh(runtime: Runtime, request: RefreshRequest): Promise<number> {
  if (!(Number.isInteger(request.jobs) && request.jobs >= 1 && request.jobs <= 64)) {
    throw new DataalmError('INVALID_INPUT', 'jobs (--jobs): must be a whole number from 1 to 64', { field: 'jobs' });
  }
  // A request may end an operation whose process stopped (reading never does).
  await reapAbandoned(runtime);
  const checked = await preflightRefresh(runtime, request.source, request.target);
  if (checked.reasons.length > 0) throw new RefusedError(checked.reasons);
  const id = await runtime.operations.create({
    kind: 'refresh',
    environment: request.target,
    source: request.source,
    options: {
      jobs: request.jobs,
      verify: request.verify,
      profile: checked.profile!.name,
      warnings: checked.warnings,
      fingerprint: operationFingerprint(checked.source, checked.target!),
    },
    steps: REFRESH_STEPS,
    actor: request.actor,
  });
  await runtime.operations.log(id, null, 'info', `refresh of ${request.target} from ${request.source} requested by ${request.actor.name}`, {
    jobs: request.jobs,
    verify: request.verify,
  });
  return id;
}

export function formatDuration(seconds: number): string {
  if (seconds % 86400 === 0) return `${seconds / 86400} day${seconds === 86400 ? '' : 's'}`;
  if (seconds % 3600 === 0) return `${seconds / 3600} hour${seconds === 3600 ? '' : 's'}`;
  if (seconds % 60 === 0) return `${seconds / 60} minute${seconds === 60 ? '' : 's'}`;
  return `${seconds} second${seconds === 1 ? '' : 's'}`;
}
