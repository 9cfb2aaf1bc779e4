import { DataalmError } from '../../../domain/errors/dataalm-error.js';
import type { VerificationCheck } from '../../../domain/operation.js';
import { loadProfile } from '../../../adapters/profile/profile-files.js';
import { folderFingerprint, keptDigests, verifyRules } from '../../refresh/verification.js';
import type { RunContext } from '../run-context.js';
import type { StepHandler } from '../runbook.js';
import { reenableUsers } from './access-step.js';

/**
 * The verification report: row counts of the copy (checked inside the snapshot), the
 * target's kept rows still as they were, every profile rule proven on the staging copy, and
 * document storage untouched. A failed check fails the refresh before its cutover. Once
 * they all passed, the target's access policy re-enables the users it names (recorded in
 * the report as `access-policy`).
 */
export const verifyStep: StepHandler = {
  async run(ctx) {
    const operation = await ctx.reload();
    const checks: VerificationCheck[] = [...copyChecks(ctx)];
    checks.push(...(await ruleChecks(ctx)));
    checks.push(await storageCheck(ctx));
    const report = { passed: checks.every((c) => c.status === 'passed'), checkedAt: new Date().toISOString(), checks };
    await ctx.runtime.operations.setVerification(ctx.id, report);
    for (const check of checks) {
      await ctx.log('verify', check.status === 'passed' ? 'info' : 'error', `${check.status}: ${check.rule}: ${check.detail}`);
    }
    const failed = checks.filter((c) => c.status === 'failed');
    if (failed.length > 0) {
      throw new DataalmError('VERIFY_FAILED', `${failed.length} verification check(s) failed, first ${failed[0]!.rule}: ${failed[0]!.detail}`, {
        remedy: `dataalm op show ${operation.id} shows the verification report; the target was not touched`,
      });
    }
    const access = await reenableUsers(ctx, loadProfile(ctx.target.profile).access);
    if (access === undefined) return { checks: checks.length, passed: checks.length };
    await ctx.runtime.operations.setVerification(ctx.id, { ...report, checks: [...checks, access.check] });
    return { checks: checks.length + 1, passed: checks.length + 1, reenabled: { ...access.counters } };
  },
};

function copyChecks(ctx: RunContext): VerificationCheck[] {
  const data = ctx.operation.steps.find((s) => s.name === 'data')?.counters ?? {};
  return Object.keys(ctx.databases).map((role) => {
    const copied = data[role] as { tables: number; rows: number; verified: string; method?: string; refreshTimeTables?: string[]; fileCopy?: string } | undefined;
    if (copied?.method === 'mirror') {
      return {
        rule: `row-counts:${role}`,
        description:
          copied.fileCopy === 'spare'
            ? `The ${role} database is the mirror's spare, renamed: it had the paused mirror's files, block for block, when it was made, was kept current since by its own subscription up to the refresh's moment, and has every replicated table; row counts of tables copied at refresh time equal the source snapshot.`
            : copied.verified === 'checksums'
            ? `Row checksums of every replicated table of the ${role} database equal the paused mirror it was cloned from; those of tables copied at refresh time, the source snapshot.`
            : `Every replicated table of the ${role} database has the paused mirror's files, block for block (a file copy); row counts of tables copied at refresh time equal the source snapshot.`,
        status: 'passed',
        detail: `${copied.tables} tables, ${copied.rows} rows; ${copied.refreshTimeTables?.length ?? 0} table(s) copied or kept at refresh time, checked inside the snapshot`,
      };
    }
    return {
      rule: `row-counts:${role}`,
      description: `Row ${copied?.verified ?? 'counts'} of every copied table of the ${role} database equal the source snapshot.`,
      status: copied ? 'passed' : 'failed',
      detail: copied ? `${copied.tables} tables, ${copied.rows} rows, checked inside the snapshot right after the copy` : 'no record of the copy',
    };
  });
}

async function ruleChecks(ctx: RunContext): Promise<VerificationCheck[]> {
  const profile = loadProfile(ctx.target.profile);
  const checks: VerificationCheck[] = [];
  const keptStep = ctx.operation.steps.find((s) => s.name === 'keep-target')?.counters as
    | { checks?: VerificationCheck[]; digests?: Record<string, string>; horizon?: string }
    | undefined;
  const staging = await ctx.session(ctx.stagingUrl('application'));
  const source = await ctx.session(ctx.sourceUrls.application!).catch(async (error: unknown) => {
    await staging.end().catch(() => {});
    throw error;
  });
  try {
    if (keptStep?.checks && keptStep.digests) {
      // Checked against the target's snapshot during the copy; still so after sanitize and synchronize?
      const now = await keptDigests(profile, staging, {}, keptStep.horizon ? { digests: keptStep.digests, horizon: keptStep.horizon } : undefined);
      for (const check of keptStep.checks) {
        const label = check.rule.replace(/^keep-target:/, '');
        const changed = now[label] !== keptStep.digests[label];
        checks.push(changed ? { ...check, status: 'failed', detail: `changed after the copy, by a sanitize statement or the synchronize command (${check.detail})` } : check);
      }
    } else if (profile.rules.some((r) => r.action === 'keep-target')) {
      checks.push({ rule: 'keep-target', description: "The target's kept rows and columns.", status: 'failed', detail: 'no record of the check made during the copy' });
    }
    checks.push(...(await verifyRules({ profile, administrator: ctx.target.administrator, staging, source, maskKey: ctx.runtime.secrets.derive('masks') })));
  } finally {
    await Promise.all([staging.end(), source.end()].map((p) => p.catch(() => {})));
  }
  return checks;
}

async function storageCheck(ctx: RunContext): Promise<VerificationCheck> {
  const before = ctx.operation.steps.find((s) => s.name === 'validate')?.counters.storage as { files: number; digest: string } | null | undefined;
  const now = await folderFingerprint(ctx.target.documentStorage);
  // dataalm never writes there; its users may, since the target stays in use.
  const same = JSON.stringify(before ?? null) === JSON.stringify(now);
  return {
    rule: 'document-storage',
    description: "Document storage is not copied: the target's files stay as they are.",
    status: 'passed',
    detail: now
      ? `${now.files} files in ${ctx.target.documentStorage}; ${same ? 'unchanged since the refresh began' : "changed by the target's users during the refresh, not by dataalm"}`
      : 'the environment has no document storage',
  };
}
