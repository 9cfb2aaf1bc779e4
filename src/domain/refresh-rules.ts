import type { Environment } from './environment.js';
import type { RefusalReason } from './operation.js';

/** Platform updates at or below this are refused, as the seed says ("update 20 or earlier"). */
export const DEFAULT_MIN_PLATFORM_UPDATE = 21;

/** What the preflight needs to know; gathered by app/refresh, judged here. */
export interface PreflightFacts {
  readonly sourceName: string;
  readonly targetName: string;
  readonly source: Environment | undefined;
  readonly target: Environment | undefined;
  /** Lowest platform update a refresh accepts. */
  readonly minPlatformUpdate: number;
  /** The operation that holds the target, if any. */
  readonly targetBusy: { id: number; kind: string; state: string } | undefined;
  /** An operation replacing the source's own databases, if any. */
  readonly sourceBusy: { id: number; kind: string; state: string } | undefined;
  /** A running refresh that copies from the target: replacing its databases would break it. */
  readonly targetIsCopied?: { id: number; kind: string; state: string } | undefined;
  /** Recurring data-management jobs still enabled in the target (by name). */
  readonly targetActiveRecurringJobs: readonly string[];
  /** Recurring jobs of the source with messages not yet processed. */
  readonly sourceUnprocessedRecurringJobs: readonly { name: string; pending: number }[];
}

export interface PreflightVerdict {
  readonly reasons: RefusalReason[];
  readonly warnings: string[];
}

/**
 * The refusal while another operation holds an environment (one at a time; the control
 * database enforces it too). `busy` is undefined when it ended before it could be named.
 */
export function busyReason(environment: string, busy: { id: number; kind: string; state: string } | undefined): RefusalReason {
  return {
    code: 'TARGET_BUSY',
    message: `operation ${busy?.id ?? '?'} (${busy?.kind ?? 'another'}, ${busy?.state ?? 'active'}) is already running on ${environment}`,
    remedy: busy ? `wait for it to finish, or cancel it with: dataalm op cancel ${busy.id}` : 'wait for it to finish',
  };
}

/** Compares dotted version numbers part by part: -1, 0 or 1. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}

/**
 * The preflight of DESIGN §2, rules 1–7. Every failing rule gives a reason (not only the
 * first), so a person can fix them all before trying again. Pure: the same facts give the
 * same verdict, whether asked for a preview, on request, or again as the runbook's step 1.
 */
export function judgePreflight(facts: PreflightFacts): PreflightVerdict {
  const reasons: RefusalReason[] = [];
  const warnings: string[] = [];
  const refuse = (code: string, message: string, remedy: string) => reasons.push({ code, message, remedy });
  const { source, target, sourceName, targetName } = facts;

  // 2. Both exist, and they differ.
  if (!source) refuse('SOURCE_NOT_FOUND', `source environment "${sourceName}" does not exist`, 'dataalm env list shows the environments');
  if (!target) refuse('TARGET_NOT_FOUND', `target environment "${targetName}" does not exist`, 'dataalm env list shows the environments');
  if (sourceName === targetName) {
    refuse('SAME_ENVIRONMENT', `source and target are both "${targetName}"`, 'choose another environment as the source');
  }
  if (!source || !target) return { reasons, warnings };

  // 1. A production environment is never a target.
  if (target.type === 'production') {
    refuse(
      'TARGET_IS_PRODUCTION',
      `${target.name} is a production environment; a refresh only ever replaces a sandbox's databases`,
      'choose a sandbox as the target',
    );
  }
  // 2. No other operation on the target (the database enforces it too, when the operation is queued).
  if (facts.targetBusy) reasons.push(busyReason(target.name, facts.targetBusy));
  if (facts.sourceBusy) {
    refuse(
      'SOURCE_BUSY',
      `${source.name}'s own databases are being replaced by operation ${facts.sourceBusy.id} (${facts.sourceBusy.kind})`,
      `wait for operation ${facts.sourceBusy.id} to finish, then refresh`,
    );
  }
  if (facts.targetIsCopied) {
    refuse(
      'TARGET_IS_SOURCE',
      `operation ${facts.targetIsCopied.id} is copying from ${target.name} right now; replacing its databases would break that copy`,
      `wait for operation ${facts.targetIsCopied.id} to finish, then refresh`,
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
  // 4. Platform updates above the minimum.
  for (const environment of [source, target]) {
    if (environment.platformUpdate < facts.minPlatformUpdate) {
      refuse(
        'PLATFORM_UPDATE_TOO_OLD',
        `${environment.name} runs platform update ${environment.platformUpdate}; a refresh needs update ${facts.minPlatformUpdate} or later (update ${facts.minPlatformUpdate - 1} and earlier are refused)`,
        `apply a newer platform update to ${environment.name} (Apply updates), then refresh`,
      );
    }
  }
  // 5. Same application release: a refresh never runs the data upgrade.
  const release = compareVersions(source.applicationRelease, target.applicationRelease);
  if (release !== 0) {
    const newer = release > 0 ? source : target;
    const older = release > 0 ? target : source;
    refuse(
      'RELEASE_MISMATCH',
      `application releases differ: ${source.name} runs ${source.applicationRelease}, ${target.name} runs ${target.applicationRelease}; a refresh never runs the data upgrade, so data could be lost`,
      release > 0
        ? `upgrade ${older.name} to ${newer.applicationRelease} first (or delete and redeploy it on ${newer.applicationRelease}), then refresh`
        : `${target.name} is already on the newer release ${newer.applicationRelease}: an older database cannot be restored into it. Refresh a sandbox before upgrading it, or redeploy ${target.name} on ${older.applicationRelease}`,
    );
  }
  // 6. Target's financial reporting at least the source's.
  if (compareVersions(target.financialReportingVersion, source.financialReportingVersion) < 0) {
    refuse(
      'REPORTING_VERSION_OLDER',
      `financial reporting in the target is older: ${target.name} has MRApplicationService ${target.financialReportingVersion}, ${source.name} has ${source.financialReportingVersion}`,
      `apply the financial reporting update ${source.financialReportingVersion} (or later) to ${target.name} (Apply updates), then refresh`,
    );
  }
  // 7. No active recurring data-management jobs in the target; warn about the source's.
  if (facts.targetActiveRecurringJobs.length > 0) {
    const names = facts.targetActiveRecurringJobs;
    refuse(
      'RECURRING_JOBS_ACTIVE',
      `${target.name} has ${names.length} active recurring data-management job(s): ${names.join(', ')}`,
      `let them process all their messages and stop them in ${target.name}, then refresh; resume them after the refresh`,
    );
  }
  if (facts.sourceUnprocessedRecurringJobs.length > 0) {
    const jobs = facts.sourceUnprocessedRecurringJobs;
    warnings.push(
      `${source.name} still has unprocessed recurring import/export messages (${jobs.map((j) => `${j.name}: ${j.pending}`).join(', ')}); refresh after they are fully processed, or their files are orphaned`,
    );
  }
  return { reasons, warnings };
}
