import { DataalmError, RefusedError } from '../../../domain/errors/dataalm-error.js';
import { loadProfile } from '../../../adapters/profile/profile-files.js';
import { parseConnectionUrl } from '../../../adapters/postgres/connection-url.js';
import { derivedName } from '../../../adapters/postgres/database-admin.js';
import { afterRetailRefresh } from '../../assets/package-steps.js';
import { operationFingerprint } from '../../refresh/fingerprint.js';
import { preflightRefresh } from '../../refresh/refresh-service.js';
import { runSyncCommand } from '../../refresh/synchronize.js';
import { recordRefreshColumns } from '../../refresh/schema-drift.js';
import { folderFingerprint, rows } from '../../refresh/verification.js';
import { resetsAdministrator, usesAdministrator } from '../../refresh/preview-wording.js';
import { cutoverStep, dropExpiredBreadcrumbs, resumeAfterCutover, swapEndings } from '../cutover-step.js';
import { Canceled } from '../run-context.js';
import type { Runbook, StepHandler } from '../runbook.js';
import { COPY_STEPS, copyStep } from './copy-step.js';
import { verifyStep } from './verify-step.js';

const validate: StepHandler = {
  async run(ctx) {
    const operation = ctx.operation;
    const checked = await preflightRefresh(ctx.runtime, operation.source ?? '', operation.environment, ctx.id);
    if (checked.reasons.length > 0) throw new RefusedError(checked.reasons);
    for (const warning of checked.warnings) await ctx.log('validate', 'warning', warning);
    await ctx.log('validate', 'info', `preflight passed: ${operation.source} → ${operation.environment}, profile ${checked.profile!.name}`);
    const roles = (['application', 'financialReporting'] as const).filter((r) => ctx.targetUrls[r] && ctx.sourceUrls[r]);
    ctx.databases = Object.fromEntries(
      roles.map((role) => {
        const database = parseConnectionUrl(ctx.targetUrls[role]!, role).database;
        return [role, { database, staging: derivedName(database, `__stage_${ctx.id}`), breadcrumb: derivedName(database, `__pre_${ctx.id}`) }];
      }),
    );
    await ctx.runtime.operations.setDatabases(ctx.id, ctx.databases);
    // The source's columns now, for the schema drift the next refresh's preview shows.
    await recordRefreshColumns(ctx.runtime, ctx.id, operation.environment, ctx.sourceUrls.application!).catch((error: Error) =>
      ctx.log('validate', 'warning', `the source's columns could not be recorded for the next preview's schema drift: ${ctx.redactor.redact(error.message)}`),
    );
    return { databases: Object.keys(ctx.databases), storage: await folderFingerprint(ctx.target.documentStorage) };
  },
};

/** The lock-down: the profile's statements on the staging copy, in one transaction. */
const sanitize: StepHandler = {
  async run(ctx) {
    const profile = loadProfile(ctx.target.profile);
    if (profile.sanitize.length === 0) {
      await ctx.log('sanitize', 'info', `profile ${profile.name} has no sanitize statements`);
      return 'skipped';
    }
    const session = await ctx.session(ctx.stagingUrl('application'));
    const changed: Record<string, number> = {};
    try {
      await session.query('BEGIN');
      for (const step of profile.sanitize) {
        const result = await session.query(step.sql, usesAdministrator(step.sql) ? [ctx.target.administrator] : []);
        changed[step.name] = result.rowCount ?? 0;
        await ctx.log('sanitize', 'info', `${step.name}: ${step.description} (${rows(result.rowCount ?? 0)})`);
      }
      await session.query('COMMIT');
    } finally {
      await session.end().catch(() => {});
    }
    // Only a statement given the administrator ($1) can have made it the application's Admin.
    if (resetsAdministrator(profile)) await ctx.log('sanitize', 'info', `Admin is now ${ctx.target.administrator}, ${ctx.target.name}'s administrator`);
    return { rows: changed };
  },
};

/** The target's own database synchronization (its customisations) against the staging copy. */
const synchronize: StepHandler = {
  async run(ctx) {
    const command = ctx.target.syncCommand;
    if (command === null) {
      await ctx.log('synchronize', 'info', `${ctx.target.name} has no synchronize command`);
      return 'skipped';
    }
    await ctx.log('synchronize', 'info', `running ${ctx.target.name}'s synchronize command: ${ctx.redactor.redact(command)}`);
    const pending: Promise<void>[] = [];
    const run = await runSyncCommand(command, {
      home: ctx.runtime.config.home,
      applicationUrl: ctx.stagingUrl('application'),
      reportingUrl: ctx.databases.financialReporting ? ctx.stagingUrl('financialReporting') : undefined,
      signal: ctx.signal,
      onLine: (stream, line) => pending.push(ctx.log('synchronize', stream === 'stderr' ? 'warning' : 'info', `${stream}: ${line}`)),
    });
    await Promise.all(pending);
    if (ctx.signal.aborted) throw new Canceled();
    if (run.exitCode !== 0) {
      throw new DataalmError(
        'OPERATION_FAILED',
        `the synchronize command ${run.signal ? `was stopped by ${run.signal}` : `exited with code ${run.exitCode}`}; its output is in the runbook log`,
        {
          remedy: `see dataalm op logs ${ctx.id} (a customisation of ${ctx.target.name} that cannot handle the refreshed data fails here); dataalm op rollback ${ctx.id} removes the staging databases`,
        },
      );
    }
    await ctx.log('synchronize', 'info', 'the synchronize command finished (exit code 0)');
    return { exitCode: 0 };
  },
};

const post: StepHandler = {
  async run(ctx) {
    let retail: Record<string, unknown> = {};
    if (ctx.target.retail) {
      const target = await ctx.runtime.environments.get(ctx.target.name);
      retail = await afterRetailRefresh(ctx.runtime, target, ctx.targetUrls, ctx.id, (level, message, data) => ctx.log('post', level, message, data));
    }
    return { retail: ctx.target.retail, ...retail, expiredBreadcrumbsDropped: await dropExpiredBreadcrumbs(ctx) };
  },
};

/** The refresh runbook of DESIGN §2: the target stays online until the cutover. */
export const refreshRunbook: Runbook = {
  steps: {
    validate,
    prepare: copyStep,
    schema: copyStep,
    data: copyStep,
    'keep-target': copyStep,
    constraints: copyStep,
    sanitize,
    synchronize,
    verify: verifyStep,
    cutover: cutoverStep,
    post,
  },
  /**
   * It must still be about the same databases and profile; a cutover cut short is settled
   * from the servers; a synchronize command cut short may have changed the staging copy
   * half-way, so the copy is made again.
   */
  async prepareResume(ctx) {
    const recorded = ctx.operation.options.fingerprint;
    if (typeof recorded === 'string') {
      const source = ctx.operation.source === null ? undefined : await ctx.runtime.environments.get(ctx.operation.source);
      if (operationFingerprint(source, ctx.target) !== recorded) {
        throw new DataalmError('REFUSED', 'the source, the target or the refresh profile changed since the operation started: it cannot be resumed', {
          remedy: `roll it back (dataalm op rollback ${ctx.id}) and start a new refresh`,
        });
      }
    }
    const status = await resumeAfterCutover(ctx);
    if (!ctx.pointOfNoCancel && (status('synchronize') === 'running' || status('synchronize') === 'failed')) {
      await ctx.runtime.operations.resetSteps(ctx.id, [...COPY_STEPS, 'sanitize', 'synchronize', 'verify']);
      await ctx.log('synchronize', 'warning', 'the synchronize command was cut short: its changes to the staging copy are unknown, so the copy is made again');
    } else if (!ctx.pointOfNoCancel && status('verify') === 'running' && loadProfile(ctx.target.profile).access !== undefined) {
      // The access policy may have re-enabled its users before the step was cut short: the
      // lock-down runs again, so the verification proves it before they are enabled again.
      await ctx.runtime.operations.resetSteps(ctx.id, ['sanitize', 'verify']);
      await ctx.log('verify', 'warning', 'the verification was cut short: the sanitize statements run again before it, since users may already have been re-enabled');
    }
  },
  ...swapEndings,
};
