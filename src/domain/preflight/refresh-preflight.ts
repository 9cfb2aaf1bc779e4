import type { DatabaseRole, Environment } from '../environment.js';
import type { RefusalReason } from '../operation.js';
import { compareVersions } from '../refresh-rules.js';
import { type Busy, busyReason } from './busy-reason.js';
import type { CopyRole } from './copy-needs.js';
import { type SchemaVersionProbe, type ServerVersions, schemaVersionRefusals, serverVersionRefusals } from './app-versions.js';

/**
 * What the refresh preflight (DESIGN §2) needs to know. app/refresh gathers it (the control
 * database, the profile file, the source's and target's own databases); this module judges
 * it and nothing else, so the same facts give the same reasons whether asked for a preview,
 * on request, or again as the runbook's step 1.
 */
export interface RefreshFacts {
  readonly sourceName: string;
  readonly targetName: string;
  readonly source: Environment | undefined;
  readonly target: Environment | undefined;
  /** Lowest platform update a refresh accepts. */
  readonly minPlatformUpdate: number;
  /** The operation asking, when the runbook runs the preflight again: it does not hold its own target. */
  readonly self?: number | undefined;
  /** The operation that holds the target, if any. */
  readonly targetBusy: Busy | undefined;
  /** An operation replacing the source's own databases, if any. */
  readonly sourceBusy: Busy | undefined;
  /** A running refresh that copies from the target: replacing its databases would break it. */
  readonly targetIsCopied?: Busy | undefined;
  /** Recurring data-management jobs still enabled in the target (by name). */
  readonly targetActiveRecurringJobs: readonly string[];
  /** Recurring jobs of the source with messages not yet processed. */
  readonly sourceUnprocessedRecurringJobs: readonly { name: string; pending: number }[];
  /** What the profile and the databases said; undefined when not looked at (an environment missing, or source = target). */
  readonly databases?: DatabaseFacts | undefined;
  /**
   * Whether the target's profile carries the seed's versions (environmentVersions), so rules
   * 4–6 apply. (Default: whether the target has them)
   */
  readonly environmentVersions?: boolean | undefined;
  /** For each of packageNeeds(facts) the library or the shared assets can meet: how to apply that package. */
  readonly packages?: Partial<Record<PackageNeed['key'], string>> | undefined;
}

export interface DatabaseFacts {
  /** The target's refresh profile: its name, or why it cannot be used. */
  readonly profile: { readonly name: string } | { readonly problem: string };
  /** The database roles each environment has a connection for. */
  readonly sourceRoles: readonly DatabaseRole[];
  readonly targetRoles: readonly DatabaseRole[];
  /** What each pair of databases of probeRoles(...) said, in that order. */
  readonly probes: readonly DatabaseProbe[];
}

/** One role's source and target databases, as the preflight found them. */
export interface DatabaseProbe {
  readonly role: DatabaseRole;
  /** Why the database did not answer, for a person (no secret); undefined when it did. */
  readonly sourceUnreachable?: string | undefined;
  readonly targetUnreachable?: string | undefined;
  /** The target's database user and its rights, when that database answered. */
  readonly targetUser?: { readonly name: string; readonly mayCreateDatabases: boolean; readonly ownsDatabase: boolean } | undefined;
  /** Why the profile's recurring-jobs query failed on the target's / the source's database. */
  readonly targetJobsError?: string | undefined;
  readonly sourceJobsError?: string | undefined;
  /** What the copy needs of the users and the servers and does not have (domain/preflight/copy-needs.ts). */
  readonly copyNeeds?: readonly RefusalReason[] | undefined;
  /** The roles the copy of these databases involves. */
  readonly roles?: readonly CopyRole[] | undefined;
  /** What of the target's profile does not fit the source's database (tables, columns, what rules need). */
  readonly profileFindings?: readonly string[] | undefined;
  /** Columns of the source the profile leaves undecided under `coverage: strict` (schema.table.column). */
  readonly undecidedColumns?: readonly string[] | undefined;
  /** The profile's schemaVersion query on both sides (the application databases, when the profile names one). */
  readonly schemaVersion?: SchemaVersionProbe | undefined;
  /** The servers' majors and the target's versions of the source's extensions, when both answered. */
  readonly servers?: ServerVersions | undefined;
}

/** A version rule that a package could fix: which environment needs which version. */
export interface PackageNeed {
  readonly key: 'reporting' | 'release' | 'platform:source' | 'platform:target';
  readonly environment: Environment;
  readonly wants: { readonly applicationRelease?: string; readonly platformUpdate?: number; readonly financialReportingVersion?: string };
}

const ROLES: readonly DatabaseRole[] = ['application', 'financialReporting'];

/** The roles whose databases the preflight opens: those both have, once both have an application database. */
export function probeRoles(sourceRoles: readonly DatabaseRole[], targetRoles: readonly DatabaseRole[]): DatabaseRole[] {
  if (!sourceRoles.includes('application') || !targetRoles.includes('application')) return [];
  return ROLES.filter((role) => sourceRoles.includes(role) && targetRoles.includes(role));
}

/**
 * The preflight of DESIGN §2, rules 1–7, then what the profile and the databases said.
 * Every failing rule gives a reason (not only the first), so a person can fix them all
 * before trying again. Pure.
 */
export function refreshRefusals(facts: RefreshFacts): RefusalReason[] {
  const reasons = judgeRules(facts).map(({ reason, need }) => {
    const remedy = need && facts.packages?.[need.key];
    return remedy ? { ...reason, remedy: `${remedy}; then refresh` } : reason;
  });
  return [...reasons, ...databaseRefusals(facts)];
}

/** The version rules that fail and that a package could fix, for the app to look the packages up. */
export function packageNeeds(facts: RefreshFacts): PackageNeed[] {
  return judgeRules(facts).flatMap(({ need }) => (need ? [need] : []));
}

/** What a person should know before a refresh that is not a reason to refuse it. Pure. */
export function refreshWarnings(facts: RefreshFacts): string[] {
  const warnings: string[] = [];
  const { source, target, databases } = facts;
  if (source && target && facts.sourceUnprocessedRecurringJobs.length > 0) {
    const jobs = facts.sourceUnprocessedRecurringJobs;
    warnings.push(
      `${source.name} still has unprocessed recurring import/export messages (${jobs.map((j) => `${j.name}: ${j.pending}`).join(', ')}); refresh after they are fully processed, or their files are orphaned`,
    );
  }
  if (!source || !target || !databases) return warnings;
  if (probeRoles(databases.sourceRoles, databases.targetRoles).length > 0) {
    const sourceHas = databases.sourceRoles.includes('financialReporting');
    if (sourceHas !== databases.targetRoles.includes('financialReporting')) {
      warnings.push(
        sourceHas
          ? `${target.name} has no financial reporting database: ${source.name}'s is not copied`
          : `${source.name} has no financial reporting database: ${target.name}'s stays as it is`,
      );
    }
  }
  for (const probe of databases.probes) {
    if (probe.sourceJobsError !== undefined) warnings.push(`the recurring jobs of ${source.name} could not be checked: ${probe.sourceJobsError}`);
  }
  return warnings;
}

interface Judged {
  readonly reason: RefusalReason;
  /** The package that would fix it, when one is found, becomes the remedy. */
  readonly need?: PackageNeed | undefined;
}

/** DESIGN §2, rules 1–7, in order. */
function judgeRules(facts: RefreshFacts): Judged[] {
  const judged: Judged[] = [];
  const refuse = (code: RefusalReason['code'], message: string, remedy: string, need?: PackageNeed) => judged.push({ reason: { code, message, remedy }, need });
  const { source, target, sourceName, targetName } = facts;

  // 2. Both exist, and they differ.
  if (!source) refuse('SOURCE_NOT_FOUND', `source environment "${sourceName}" does not exist`, 'dataalm env list shows the environments');
  if (!target) refuse('TARGET_NOT_FOUND', `target environment "${targetName}" does not exist`, 'dataalm env list shows the environments');
  if (sourceName === targetName) {
    refuse('SAME_ENVIRONMENT', `source and target are both "${targetName}"`, 'choose another environment as the source');
  }
  if (!source || !target) return judged;

  // 1. A production environment is never a target.
  if (target.type === 'production') {
    refuse(
      'TARGET_IS_PRODUCTION',
      `${target.name} is a production environment; a refresh only ever replaces a sandbox's databases`,
      'choose a sandbox as the target',
    );
  }
  // 2. No other operation on the target (the database enforces it too, when the operation is queued).
  const other = (busy: Busy | undefined) => (busy && busy.id !== facts.self ? busy : undefined);
  const targetBusy = other(facts.targetBusy);
  if (targetBusy) judged.push({ reason: busyReason(target.name, targetBusy) });
  if (facts.sourceBusy) {
    refuse(
      'SOURCE_BUSY',
      `${source.name}'s own databases are being replaced by operation ${facts.sourceBusy.id} (${facts.sourceBusy.kind})`,
      `wait for operation ${facts.sourceBusy.id} to finish, then refresh`,
    );
  }
  const copying = other(facts.targetIsCopied);
  if (copying) {
    refuse(
      'TARGET_IS_SOURCE',
      `operation ${copying.id} is copying from ${target.name} right now; replacing its databases would break that copy`,
      `wait for operation ${copying.id} to finish, then refresh`,
    );
  }
  // 3. Same tenant.
  if (source.tenant !== target.tenant) {
    refuse(
      'TENANT_MISMATCH',
      `an environment can't be refreshed from one tenant to another: ${source.name} is in ${source.tenant}, ${target.name} in ${target.tenant}`,
      `refresh ${target.name} from an environment of ${target.tenant}; the administrators of source and target must belong to the same tenant domain`,
    );
  }
  // 4–6 are the seed's: they apply when the target's profile carries its versions.
  if (facts.environmentVersions ?? target.applicationRelease !== null) judgeVersions(facts, source, target, refuse);
  // 7. No active recurring data-management jobs in the target (the source's are a warning).
  if (facts.targetActiveRecurringJobs.length > 0) {
    const names = facts.targetActiveRecurringJobs;
    refuse(
      'RECURRING_JOBS_ACTIVE',
      `${target.name} has ${names.length} active recurring data-management job(s): ${names.join(', ')}`,
      `let them process all their messages, stop them (dataalm env stop-recurring-jobs ${target.name}), then refresh; resume them after the refresh`,
    );
  }
  return judged;
}

type Refuse = (code: RefusalReason['code'], message: string, remedy: string, need?: PackageNeed) => void;

/** The seed's versions of both environments, when both have them. */
function seedVersions(environment: Environment): { release: string; platform: number; reporting: string } | undefined {
  const { applicationRelease: release, platformUpdate: platform, financialReportingVersion: reporting } = environment;
  return release === null || platform === null || reporting === null ? undefined : { release, platform, reporting };
}

/** DESIGN §2, rules 4–6: both environments must have the versions to be judged by them. */
function judgeVersions(facts: RefreshFacts, source: Environment, target: Environment, refuse: Refuse): void {
  const [from, to] = [seedVersions(source), seedVersions(target)];
  for (const [environment, versions] of [[source, from], [target, to]] as const) {
    if (versions) continue;
    refuse(
      'VERSIONS_MISSING',
      `${environment.name} has no application release, platform update and financial reporting version, and ${target.name}'s profile checks them before a refresh`,
      environment === target
        ? `register ${target.name} again with --release, --platform-update and --reporting-version`
        : `refresh ${target.name} from an environment of the same application (registered with --release, --platform-update and --reporting-version)`,
    );
  }
  if (!from || !to) return;
  // 4. Platform updates above the minimum.
  for (const [side, environment, versions] of [['source', source, from], ['target', target, to]] as const) {
    if (versions.platform < facts.minPlatformUpdate) {
      refuse(
        'PLATFORM_UPDATE_TOO_OLD',
        `${environment.name} runs platform update ${versions.platform}; a refresh needs update ${facts.minPlatformUpdate} or later (update ${facts.minPlatformUpdate - 1} and earlier are refused)`,
        `apply a newer platform update to ${environment.name} (Apply updates), then refresh`,
        { key: `platform:${side}`, environment, wants: { platformUpdate: facts.minPlatformUpdate } },
      );
    }
  }
  // 5. Same application release: a refresh never runs the data upgrade.
  const release = compareVersions(from.release, to.release);
  if (release !== 0) {
    const older = release > 0 ? target : source;
    const [newerRelease, olderRelease] = release > 0 ? [from.release, to.release] : [to.release, from.release];
    refuse(
      'RELEASE_MISMATCH',
      `application releases differ: ${source.name} runs ${from.release}, ${target.name} runs ${to.release}; a refresh never runs the data upgrade, so data could be lost`,
      release > 0
        ? `upgrade ${older.name} to ${newerRelease} first (or delete and redeploy it on ${newerRelease}), then refresh`
        : `${target.name} is already on the newer release ${newerRelease}: an older database cannot be restored into it. Refresh a sandbox before upgrading it, or redeploy ${target.name} on ${olderRelease}`,
      release > 0 ? { key: 'release', environment: target, wants: { applicationRelease: from.release } } : undefined,
    );
  }
  // 6. Target's financial reporting at least the source's.
  if (compareVersions(to.reporting, from.reporting) < 0) {
    refuse(
      'REPORTING_VERSION_OLDER',
      `financial reporting in the target is older: ${target.name} has MRApplicationService ${to.reporting}, ${source.name} has ${from.reporting}`,
      `apply the financial reporting update ${from.reporting} (or later) to ${target.name} (Apply updates), then refresh`,
      { key: 'reporting', environment: target, wants: { financialReportingVersion: from.reporting } },
    );
  }
}

/** The profile, each environment's application database, and what the databases answered. */
function databaseRefusals(facts: RefreshFacts): RefusalReason[] {
  const { source, target, databases } = facts;
  if (!source || !target || !databases) return [];
  const reasons: RefusalReason[] = [];
  if ('problem' in databases.profile) {
    reasons.push({
      code: 'PROFILE_INVALID',
      message: `${target.name}'s refresh profile cannot be used: ${databases.profile.problem}`,
      remedy: 'fix the profile file (dataalm profile validate FILE)',
    });
  }
  for (const [environment, roles] of [[source, databases.sourceRoles], [target, databases.targetRoles]] as const) {
    if (!roles.includes('application')) {
      reasons.push({
        code: 'DATABASE_MISSING',
        message: `${environment.name} has no application database registered`,
        remedy: `register ${environment.name} again with --app-db`,
      });
    }
  }
  for (const probe of databases.probes) {
    for (const [environment, why] of [[source, probe.sourceUnreachable], [target, probe.targetUnreachable]] as const) {
      if (why !== undefined) {
        reasons.push({ code: 'UNREACHABLE', message: why, remedy: `check that ${environment.name}'s database server runs and its credentials are right` });
      }
    }
    const user = probe.targetUser;
    if (user && (!user.mayCreateDatabases || !user.ownsDatabase)) {
      reasons.push({
        code: 'TARGET_PRIVILEGES',
        message: `${target.name}'s ${probe.role} user "${user.name}" ${!user.mayCreateDatabases ? 'may not create databases (CREATEDB)' : 'does not own the database'}: a refresh builds a staging database beside it and renames both at cutover`,
        remedy: !user.mayCreateDatabases
          ? `ALTER ROLE ${quoteIdentifier(user.name)} CREATEDB on ${target.name}'s server`
          : `make "${user.name}" the owner of ${target.name}'s ${probe.role} database`,
      });
    }
    for (const finding of probe.profileFindings ?? []) {
      reasons.push({
        code: 'PROFILE_INVALID',
        message: `${target.name}'s refresh profile does not fit ${source.name}'s ${probe.role} database: ${finding}`,
        remedy: 'fix the profile (dataalm profile validate FILE --against URL lists every problem), then refresh',
      });
    }
    if ((probe.undecidedColumns ?? []).length > 0) {
      const columns = probe.undecidedColumns!;
      reasons.push({
        code: 'COVERAGE_UNDECIDED',
        message: `${target.name}'s refresh profile has coverage: strict, and ${columns.length === 1 ? 'a column' : `${columns.length} columns`} of ${source.name}'s ${probe.role} database ${columns.length === 1 ? 'is' : 'are'} not decided: ${columns.join(', ')}`,
        remedy: 'mask, clear, keep or list the column(s) under safe in the profile (dataalm profile check FILE --against URL lists them), then refresh',
      });
    }
    // Both databases' copies may lack the same thing on the same server: said once.
    for (const need of probe.copyNeeds ?? []) if (!reasons.some((r) => r.message === need.message)) reasons.push(need);
    for (const reason of probe.servers ? serverVersionRefusals(probe.servers) : []) if (!reasons.some((r) => r.message === reason.message)) reasons.push(reason);
    if (probe.schemaVersion && 'name' in databases.profile) {
      reasons.push(...schemaVersionRefusals(probe.schemaVersion, { source: source.name, target: target.name, profile: databases.profile.name }));
    }
    if (probe.targetJobsError !== undefined && 'name' in databases.profile) {
      reasons.push({
        code: 'RECURRING_JOBS_UNKNOWN',
        message: `the recurring data-management jobs of ${target.name} could not be checked: ${probe.targetJobsError}`,
        remedy: `check the recurringJobs queries of profile ${databases.profile.name} against ${target.name}'s database`,
      });
    }
  }
  return reasons;
}

/** A PostgreSQL identifier in double quotes, as pg's escapeIdentifier writes it. */
function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
