import { RefusedError } from '../../domain/errors/dataalm-error.js';
import { type Asset, INSTALLERS_ACTION, REPROVISION_ACTION, packageLabel, versionChanges } from '../../domain/asset.js';
import { findPackage, installersIn, preflightApply } from '../assets/asset-service.js';
import { runScripts, writeFiles } from '../assets/package-steps.js';
import type { RunContext } from './run-context.js';
import type { Runbook, StepHandler } from './runbook.js';

/** The package an apply runs, read once per run. */
const packages = new WeakMap<RunContext, Promise<Asset>>();
function packageOf(ctx: RunContext): Promise<Asset> {
  let found = packages.get(ctx);
  if (!found) {
    found = findPackage(ctx.runtime, Number(ctx.operation.options.package));
    packages.set(ctx, found);
  }
  return found;
}

const stepLog = (ctx: RunContext, step: 'scripts' | 'files' | 'versions') => (level: 'info' | 'warning' | 'error', message: string, data?: Record<string, unknown>) =>
  ctx.log(step, level, message, data);

const validate: StepHandler = {
  async run(ctx) {
    const asset = await packageOf(ctx);
    const environment = await ctx.runtime.environments.get(ctx.target.name);
    const reasons = await preflightApply(ctx.runtime, environment, asset, ctx.id);
    if (reasons.length > 0) throw new RefusedError(reasons);
    const changes = versionChanges(environment, asset.sets);
    await ctx.log(
      'validate',
      'info',
      `package ${asset.id}: ${packageLabel(asset)} (${asset.kind}) applies to ${environment.name} (release ${environment.applicationRelease}); ` +
        `it sets ${changes.map((c) => `${c.field} ${c.from ?? '-'} → ${c.to}`).join(', ') || 'no version'}`,
    );
    return { package: asset.id, kind: asset.kind, version: asset.version, changes };
  },
};

const scripts: StepHandler = {
  async run(ctx) {
    // The point of no cancel: from here on the package changes the environment.
    await ctx.passPointOfNoCancel('run');
    const asset = await packageOf(ctx);
    const all = await ctx.runtime.assets.scripts(asset.id);
    if (Object.values(all).every((list) => (list ?? []).length === 0)) {
      await ctx.log('scripts', 'info', 'the package has no scripts');
      return 'skipped';
    }
    const environment = await ctx.runtime.environments.get(ctx.target.name);
    const counts = await runScripts(environment, ctx.targetUrls, all, stepLog(ctx, 'scripts'), `dataalm operation ${ctx.id}`, ctx.stillMine);
    return { scripts: counts };
  },
};

const files: StepHandler = {
  async run(ctx) {
    const asset = await packageOf(ctx);
    if (asset.files.length === 0) {
      await ctx.log('files', 'info', 'the package has no files for document storage');
      return 'skipped';
    }
    const environment = await ctx.runtime.environments.get(ctx.target.name);
    const written = await writeFiles(environment, await ctx.runtime.assets.files(asset.id), stepLog(ctx, 'files'), ctx.stillMine);
    if (installersIn(environment).length > 0 && (await ctx.runtime.environments.clearPendingAction(environment.name, INSTALLERS_ACTION))) {
      await ctx.log('files', 'info', 'the self-service installers are back in document storage: pending action done');
    }
    return written;
  },
};

const versions: StepHandler = {
  async run(ctx) {
    const asset = await packageOf(ctx);
    const environment = await ctx.runtime.environments.get(ctx.target.name);
    const changes = versionChanges(environment, asset.sets);
    await ctx.stillMine();
    await ctx.runtime.environments.setVersions(environment.name, asset.sets);
    for (const change of changes) await ctx.log('versions', 'info', `${change.field}: ${change.from ?? '-'} → ${change.to}`);
    if (asset.kind === 'reprovisioning-tool' && (await ctx.runtime.environments.clearPendingAction(environment.name, REPROVISION_ACTION))) {
      await ctx.log('versions', 'info', 'the Environment Reprovisioning Tool has run: pending action done');
    }
    return { changes };
  },
};

const post: StepHandler = {
  async run(ctx) {
    const environment = await ctx.runtime.environments.get(ctx.target.name);
    await ctx.log('post', 'info', `${environment.name} now runs release ${environment.applicationRelease}, platform update ${environment.platformUpdate}, MRApplicationService ${environment.financialReportingVersion}`);
    return { pendingActions: environment.pendingActions.length };
  },
};

/**
 * Apply updates: check the package, run its scripts (each database's in one transaction),
 * put its files in document storage, set the versions last. Past the scripts' start it
 * cannot be canceled; a failed apply is not rolled back but applied again.
 */
export const applyRunbook: Runbook = {
  steps: { validate, scripts, files, versions, post },
  async prepareResume(ctx) {
    // Past its point of no cancel, an apply is finished, not canceled.
    if ((await ctx.reload()).cutoverStartedAt !== null) ctx.pointOfNoCancel = true;
  },
  async afterFailure(ctx) {
    const steps = (await ctx.runtime.operations.get(ctx.id)).steps;
    const done = steps.filter((s) => s.status === 'succeeded' && s.name !== 'validate').map((s) => s.name);
    const changed = steps.find((s) => s.name === 'versions')?.status === 'succeeded' ? 'were set' : 'are unchanged';
    return `steps done before the failure: ${done.join(', ') || 'none'}; the versions of ${ctx.target.name} ${changed}. Fix the cause and apply the package again: dataalm env apply ${ctx.target.name} --package ${String(ctx.operation.options.package)}`;
  },
  afterCancel(step) {
    return `operation canceled at step ${step}: what the steps before it did stays; apply the package again to finish`;
  },
};
