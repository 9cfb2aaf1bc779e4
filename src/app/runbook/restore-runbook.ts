import { DataalmError, RefusedError } from '../../domain/errors/dataalm-error.js';
import { derivedName } from '../../adapters/postgres/database-admin.js';
import { folderFingerprint } from '../refresh/verification.js';
import { cutoverStep, dropExpiredBreadcrumbs, resumeAfterCutover, swapEndings } from './cutover-step.js';
import type { Runbook } from './runbook.js';

/**
 * A restore brings back the databases an operation replaced: its breadcrumbs are swapped
 * into place by the same cutover as a refresh's, and the databases they replace become the
 * restore's own breadcrumbs.
 */
export const restoreRunbook: Runbook = {
  steps: {
    validate: {
      async run(ctx) {
        const operation = ctx.operation;
        const crumbs = await ctx.runtime.operations.breadcrumbs({ operation: operation.restoresOperation!, environment: operation.environment, state: 'kept' });
        if (crumbs.length === 0) {
          throw new RefusedError([
            {
              code: 'NO_BREADCRUMB',
              message: `operation ${operation.restoresOperation} left no breadcrumb of ${operation.environment} that can still be restored`,
              remedy: 'dataalm env show lists the history; breadcrumbs are dropped after their retention',
            },
          ]);
        }
        for (const crumb of crumbs) {
          if (!(await ctx.runtime.servers.onServer(ctx.targetUrls[crumb.role]!, crumb.role, (server) => server.exists(crumb.database)))) {
            throw new DataalmError('NOT_FOUND', `breadcrumb database "${crumb.database}" no longer exists on ${operation.environment}'s server`);
          }
        }
        ctx.databases = Object.fromEntries(crumbs.map((c) => [c.role, { database: c.replaced, staging: c.database, breadcrumb: derivedName(c.replaced, `__pre_${ctx.id}`) }]));
        await ctx.log('validate', 'info', `restoring ${crumbs.map((c) => `${c.replaced} from ${c.database}`).join(', ')} (state before operation ${operation.restoresOperation})`);
        await ctx.runtime.operations.setDatabases(ctx.id, ctx.databases);
        return { databases: Object.keys(ctx.databases), storage: await folderFingerprint(ctx.target.documentStorage) };
      },
    },
    cutover: cutoverStep,
    post: {
      async run(ctx) {
        // The databases from before that refresh are back: what it left to do no longer applies.
        if (ctx.operation.restoresOperation !== null) await ctx.runtime.environments.clearPendingActionsOf(ctx.target.name, ctx.operation.restoresOperation);
        return { retail: ctx.target.retail, expiredBreadcrumbsDropped: await dropExpiredBreadcrumbs(ctx) };
      },
    },
  },
  async prepareResume(ctx) {
    await resumeAfterCutover(ctx);
  },
  ...swapEndings,
};
