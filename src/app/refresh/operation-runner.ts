import { fault } from '../faults.js';
import type { FaultPoint } from '../../domain/faults.js';
import { ASSET_KIND_LABELS, type Asset, type AssetKind, INSTALLERS_ACTION, REPROVISION_ACTION, packageLabel, versionChanges } from '../../domain/asset.js';
import { findPackage, installersIn, preflightApply } from '../assets/asset-service.js';
import { afterRetailRefresh, runScripts, writeFiles } from '../assets/package-steps.js';
import { operationFingerprint } from './fingerprint.js';
import os from 'node:os';
import pg from 'pg';
import { DataalmError, RefusedError, coerceError } from '../../domain/errors/dataalm-error.js';
import type { DatabaseRole, Environment } from '../../domain/environment.js';
import type { LogLine, Operation, OperationDatabase, OperationError, StepName, VerificationCheck } from '../../domain/operation.js';
import { loadProfile } from '../../adapters/profile/profile-files.js';
import { parseConnectionUrl, withDatabase } from '../../adapters/postgres/connection-url.js';
import {
  type Swap,
  connectMaintenance,
  copyDatabaseAttributes,
  databaseExists,
  derivedName,
  dropDatabaseIfExists,
  groupByServer,
  onServer,
  swapDatabases,
} from '../../adapters/postgres/database-admin.js';
import type { CopyEvent, CopyPhase, CopyResult } from '../../engine/copy-events.js';
import { copyDatabase } from '../../engine/copy-database.js';
import type { Runtime } from '../runtime.js';
import { pruneBreadcrumbs } from './breadcrumbs.js';
import { Redactor } from '../../domain/redaction.js';
import { preflightRefresh } from './refresh-service.js';
import { runSyncCommand } from './synchronize.js';
import { folderFingerprint, keptDigests, rows, verifyKept, verifyRules } from './verification.js';
import { reconcileCutover } from './cutover-state.js';

/** What a runner tells whoever watches it (the CLI's progress, later the HTTP API's stream). */
export type RunEvent =
  | { readonly type: 'step'; readonly step: StepName; readonly status: 'running' | 'succeeded' | 'skipped' | 'failed' | 'canceled' }
  | { readonly type: 'log'; readonly line: LogLine }
  | {
      readonly type: 'progress';
      readonly step: StepName;
      readonly rows: number;
      readonly bytes: number;
      readonly bytesTotal: number;
      readonly tablesDone: number;
      readonly tablesTotal: number;
      readonly mbPerSecond: number;
      readonly etaSeconds: number | null;
      /** The table copied last, so a watcher sees the copy move table by table. */
      readonly lastTable: string | null;
    };

export interface RunOptions {
  readonly onEvent?: (event: RunEvent) => void;
  /** Aborting it asks the operation to cancel (as `dataalm op cancel` does). */
  readonly signal?: AbortSignal;
}

const CANCEL_POLL_MS = 500;
/** Copy phases → the runbook step they belong to. The count check runs inside the snapshot, at the end. */
const PHASE_STEP: Record<CopyPhase, StepName> = {
  preflight: 'prepare',
  schema: 'schema',
  data: 'data',
  keep: 'keep-target',
  constraints: 'constraints',
  verify: 'constraints',
};
const COPY_STEPS: readonly StepName[] = ['prepare', 'schema', 'data', 'keep-target', 'constraints'];

class Canceled extends Error {
  constructor() {
    super('canceled');
  }
}

/**
 * Runs one queued operation's runbook to its end. Every step's state, counters and log are
 * written to the control database as they happen; a step that was already done is not run
 * again, and the copy steps restart cleanly from a new snapshot when entered again.
 */
/**
 * Goes on with an operation this worker has just taken over (OperationStore.claimStale):
 * steps already done are not run again.
 */
export async function resumeOperation(runtime: Runtime, id: number, options: RunOptions = {}): Promise<Operation> {
  const run = await OperationRun.open(runtime, id, workerId(), options);
  return run.resume();
}

/** This process, as the operations it runs name it. */
export function workerId(): string {
  return `${os.hostname()}:${process.pid}`;
}

export async function runOperation(runtime: Runtime, id: number, options: RunOptions = {}): Promise<Operation> {
  const worker = workerId();
  if (!(await runtime.operations.transition(id, ['queued'], 'running', { worker }))) {
    const operation = await runtime.operations.get(id);
    throw new DataalmError('REFUSED', `operation ${id} is ${operation.state}, not queued: it cannot be started`);
  }
  const run = await OperationRun.open(runtime, id, worker, options);
  return run.execute();
}

class OperationRun {
  readonly #runtime: Runtime;
  readonly #id: number;
  readonly #worker: string;
  readonly #emit: (event: RunEvent) => void;
  readonly #external: AbortSignal | undefined;
  readonly #abort = new AbortController();
  #operation: Operation;
  readonly #target: Environment;
  readonly #targetUrls: Partial<Record<DatabaseRole, string>>;
  readonly #sourceUrls: Partial<Record<DatabaseRole, string>>;
  readonly #redactor: Redactor;
  #databases: Record<string, OperationDatabase> = {};
  #cutoverStarted = false;
  #resuming = false;
  #writes: Promise<unknown> = Promise.resolve();

  private constructor(
    runtime: Runtime,
    worker: string,
    operation: Operation,
    target: Environment,
    targetUrls: Partial<Record<DatabaseRole, string>>,
    sourceUrls: Partial<Record<DatabaseRole, string>>,
    options: RunOptions,
  ) {
    this.#runtime = runtime;
    this.#worker = worker;
    this.#id = operation.id;
    this.#operation = operation;
    this.#emit = options.onEvent ?? (() => {});
    this.#external = options.signal;
    this.#target = target;
    this.#targetUrls = targetUrls;
    this.#sourceUrls = sourceUrls;
    this.#redactor = new Redactor([...Object.values(targetUrls), ...Object.values(sourceUrls)]);
    this.#databases = { ...operation.databases };
  }

  static async open(runtime: Runtime, id: number, worker: string, options: RunOptions): Promise<OperationRun> {
    const operation = await runtime.operations.get(id);
    const target = await runtime.environments.get(operation.environment);
    const targetUrls = await runtime.environments.connectionUrls(target.name);
    const source = operation.source === null ? undefined : await runtime.environments.find(operation.source);
    const sourceUrls = source ? await runtime.environments.connectionUrls(source.name) : {};
    return new OperationRun(runtime, worker, operation, target, targetUrls, sourceUrls, options);
  }

  async execute(): Promise<Operation> {
    const ops = this.#runtime.operations;
    let lost = false;
    // Four heartbeats per lease, so one late write does not look like a stopped runner.
    const heartbeatMs = Math.min(5000, this.#runtime.config.leaseSeconds * 250);
    const heartbeat = setInterval(() => {
      void ops.heartbeat(this.#id, this.#worker).then(
        (mine) => {
          // Ended as abandoned by another process: stop, and leave the record to it.
          if (!mine && !lost) {
            lost = true;
            this.#abort.abort(new Error('the operation was ended by another process'));
          }
        },
        () => {},
      );
    }, heartbeatMs);
    const poll = setInterval(() => {
      void ops.isCancelRequested(this.#id).then(
        (requested) => {
          if (requested && !this.#cutoverStarted) this.#abort.abort(new Canceled());
        },
        () => {},
      );
    }, CANCEL_POLL_MS);
    const onExternal = () =>
      void ops.requestCancel(this.#id).then(
        (ok) => ok && this.#abort.abort(new Canceled()),
        () => this.#abort.abort(new Canceled()),
      );
    let current: StepName | null = null;
    try {
      if (this.#external?.aborted) onExternal();
      else this.#external?.addEventListener('abort', onExternal, { once: true });
      // A cancel ends a running copy at once: its staging databases are dropped under it.
      this.#abort.signal.addEventListener('abort', () => void this.#dropStaging().catch(() => {}), { once: true });
      await this.#runtime.environments.setState(this.#target.name, 'servicing');
      if (this.#resuming) await this.#prepareResume();
      const handlers = this.#handlers();
      for (const step of this.#operation.steps) {
        if (step.status === 'succeeded' || step.status === 'skipped') continue;
        if (this.#abort.signal.aborted && !this.#cutoverStarted) throw lost ? this.#abort.signal.reason : new Canceled();
        current = step.name;
        const handler = handlers[step.name];
        if (!handler) throw new Error(`no handler for step ${step.name}`);
        await handler();
      }
      await this.#flush();
      if (await ops.transition(this.#id, ['running'], 'succeeded')) {
        await this.#finishHistory('succeeded');
        await this.#runtime.environments.setState(this.#target.name, 'deployed');
      } else {
        await this.#log(null, 'error', 'the runbook finished, but another process had ended the operation meanwhile; see its state');
      }
    } catch (thrown) {
      await this.#flush().catch(() => {});
      if (lost) {
        await this.#log(current, 'error', `this process stopped working on the operation at step ${current}: another process had ended it as abandoned`);
        return ops.get(this.#id);
      }
      const operation = await reconcileCutover(this.#runtime, await ops.get(this.#id));
      const cutover = operation.cutoverAt !== null;
      const canceled = !cutover && !this.#cutoverStarted && (thrown instanceof Canceled || this.#abort.signal.aborted);
      if (canceled) {
        await this.#dropStaging().catch((error: Error) => this.#log(current, 'error', `the staging databases could not be removed: ${error.message}`));
        await this.#log(
          current,
          'warning',
          this.#operation.kind === 'apply'
            ? `operation canceled at step ${current}: what the steps before it did stays; apply the package again to finish`
            : 'operation canceled before its cutover: the staging databases were removed; the target was never touched',
        );
        await ops.closeOpenSteps(this.#id, 'canceled');
        await ops.transition(this.#id, ['running'], 'canceled');
        await this.#finishHistory('canceled');
        await this.#runtime.environments.setState(this.#target.name, 'deployed');
      } else {
        const error = this.#describe(thrown, current);
        await this.#log(current, 'error', `${current ?? 'operation'} failed: ${error.message}${error.remedy ? ` (${error.remedy})` : ''}`, {
          code: error.code,
        });
        await this.#log(
          null,
          'info',
          this.#operation.kind === 'apply'
            ? await this.#applyOutcome()
            : cutover
              ? `the new databases are live; dataalm op rollback ${this.#id} swaps the previous ones back`
              : `the target was not touched; dataalm op rollback ${this.#id} removes the staging databases`,
        );
        await ops.closeOpenSteps(this.#id, 'failed');
        await ops.transition(this.#id, ['running'], 'failed', { error });
        await this.#finishHistory('failed');
        await this.#runtime.environments.setState(this.#target.name, cutover ? 'failed' : 'deployed');
      }
    } finally {
      clearInterval(heartbeat);
      clearInterval(poll);
      this.#external?.removeEventListener('abort', onExternal);
    }
    return ops.get(this.#id);
  }

  /** Runs an operation this worker has taken over: what was done stays done. */
  async resume(): Promise<Operation> {
    this.#resuming = true;
    return this.execute();
  }

  /**
   * Before a taken-over operation goes on: it must still be about the same databases and
   * profile; a cutover cut short is settled from the servers; a synchronize command cut
   * short may have changed the staging copy half-way, so the copy is made again.
   */
  async #prepareResume(): Promise<void> {
    const ops = this.#runtime.operations;
    const recorded = this.#operation.options.fingerprint;
    if (typeof recorded === 'string' && this.#operation.kind === 'refresh') {
      const source = this.#operation.source === null ? undefined : await this.#runtime.environments.get(this.#operation.source);
      if (operationFingerprint(source, this.#target) !== recorded) {
        throw new DataalmError('REFUSED', 'the source, the target or the refresh profile changed since the operation started: it cannot be resumed', {
          remedy: `roll it back (dataalm op rollback ${this.#id}) and start a new refresh`,
        });
      }
    }
    const operation = await reconcileCutover(this.#runtime, await ops.get(this.#id));
    const status = (name: StepName) => operation.steps.find((s) => s.name === name)?.status;
    if (operation.kind === 'apply') {
      // Past its point of no cancel, an apply is finished, not canceled.
      if (operation.cutoverStartedAt !== null) this.#cutoverStarted = true;
    } else if (operation.cutoverAt !== null) {
      if (status('cutover') !== 'succeeded') {
        await ops.stepFinished(this.#id, 'cutover', 'succeeded');
        await this.#log('cutover', 'info', 'the cutover had completed before the previous worker stopped');
      }
      this.#cutoverStarted = true;
    } else if (status('synchronize') === 'running' || status('synchronize') === 'failed') {
      const again = [...COPY_STEPS, 'sanitize', 'synchronize', 'verify'];
      await ops.resetSteps(this.#id, again);
      await this.#log('synchronize', 'warning', 'the synchronize command was cut short: its changes to the staging copy are unknown, so the copy is made again');
    }
    this.#operation = await ops.get(this.#id);
    const next = this.#operation.steps.find((s) => s.status !== 'succeeded' && s.status !== 'skipped');
    await this.#log(null, 'info', `resuming at step ${next?.name ?? 'the end'}; steps already done are not run again`);
  }

  #handlers(): Partial<Record<StepName, () => Promise<void>>> {
    const copy = () => this.#copyStep();
    const common = {
      validate: () => this.#step('validate', () => this.#validate()),
      cutover: () => this.#step('cutover', () => this.#cutover()),
      post: () => this.#step('post', () => this.#post()),
    };
    if (this.#operation.kind === 'restore') return common;
    if (this.#operation.kind === 'apply') {
      return {
        validate: common.validate,
        scripts: () => this.#step('scripts', () => this.#applyScripts()),
        files: () => this.#step('files', () => this.#applyFiles()),
        versions: () => this.#step('versions', () => this.#applyVersions()),
        post: common.post,
      };
    }
    return {
      ...common,
      prepare: copy,
      schema: copy,
      data: copy,
      'keep-target': copy,
      constraints: copy,
      sanitize: () => this.#step('sanitize', () => this.#sanitize()),
      synchronize: () => this.#step('synchronize', () => this.#synchronize()),
      verify: () => this.#step('verify', () => this.#verify()),
    };
  }

  /** Runs one step: running → succeeded (or skipped), with its counters. */
  async #step(name: StepName, work: () => Promise<Record<string, unknown> | 'skipped' | void>): Promise<void> {
    fault(`before:${name}` as FaultPoint);
    await this.#failAtForTests(name);
    await this.#runtime.operations.stepStarted(this.#id, name);
    this.#emit({ type: 'step', step: name, status: 'running' });
    await this.#log(name, 'info', `step ${name} started`);
    const started = performance.now();
    let result: Awaited<ReturnType<typeof work>>;
    try {
      result = await work();
    } catch (error) {
      this.#emit({ type: 'step', step: name, status: 'failed' });
      throw error;
    }
    const seconds = round((performance.now() - started) / 1000);
    const status = result === 'skipped' ? 'skipped' : 'succeeded';
    await this.#runtime.operations.stepFinished(this.#id, name, status, { seconds, ...(typeof result === 'object' ? result : {}) });
    await this.#log(name, 'info', `step ${name} ${status} (${seconds} s)`);
    this.#emit({ type: 'step', step: name, status });
    fault(`after:${name}` as FaultPoint);
  }

  /**
   * A test can make a step fail on purpose: DATAALM_TEST_FAIL_AT=<step>, or
   * `cutover:swapped` for the moment between the swap and its record.
   */
  async #failAtForTests(name: StepName | 'cutover:swapped'): Promise<void> {
    if (process.env.DATAALM_TEST_FAIL_AT === name) throw new Error(`failure injected at step ${name} (DATAALM_TEST_FAIL_AT)`);
  }

  // ---- validate ------------------------------------------------------------------------

  async #validate(): Promise<Record<string, unknown>> {
    const operation = this.#operation;
    if (operation.kind === 'apply') {
      const asset = await this.#package();
      const environment = await this.#runtime.environments.get(this.#target.name);
      const reasons = await preflightApply(this.#runtime, environment, asset, this.#id);
      if (reasons.length > 0) throw new RefusedError(reasons);
      const changes = versionChanges(environment, asset.sets);
      await this.#log(
        'validate',
        'info',
        `package ${asset.id}: ${packageLabel(asset)} (${asset.kind}) applies to ${environment.name} (release ${environment.applicationRelease}); ` +
          `it sets ${changes.map((c) => `${c.field} ${c.from ?? '-'} → ${c.to}`).join(', ') || 'no version'}`,
      );
      return { package: asset.id, kind: asset.kind, version: asset.version, changes };
    }
    if (operation.kind === 'refresh') {
      const checked = await preflightRefresh(this.#runtime, operation.source ?? '', operation.environment, this.#id);
      if (checked.reasons.length > 0) throw new RefusedError(checked.reasons);
      for (const warning of checked.warnings) await this.#log('validate', 'warning', warning);
      await this.#log('validate', 'info', `preflight passed: ${operation.source} → ${operation.environment}, profile ${checked.profile!.name}`);
      const roles = (['application', 'financialReporting'] as const).filter((r) => this.#targetUrls[r] && this.#sourceUrls[r]);
      this.#databases = Object.fromEntries(
        roles.map((role) => {
          const database = parseConnectionUrl(this.#targetUrls[role]!, role).database;
          return [role, { database, staging: derivedName(database, `__stage_${this.#id}`), breadcrumb: derivedName(database, `__pre_${this.#id}`) }];
        }),
      );
    } else {
      const crumbs = await this.#runtime.operations.breadcrumbs({ operation: operation.restoresOperation!, environment: operation.environment, state: 'kept' });
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
        if (!(await onServer(this.#targetUrls[crumb.role]!, crumb.role, (admin) => databaseExists(admin, crumb.database)))) {
          throw new DataalmError('NOT_FOUND', `breadcrumb database "${crumb.database}" no longer exists on ${operation.environment}'s server`);
        }
      }
      this.#databases = Object.fromEntries(
        crumbs.map((c) => [c.role, { database: c.replaced, staging: c.database, breadcrumb: derivedName(c.replaced, `__pre_${this.#id}`) }]),
      );
      await this.#log('validate', 'info', `restoring ${crumbs.map((c) => `${c.replaced} from ${c.database}`).join(', ')} (state before operation ${operation.restoresOperation})`);
    }
    await this.#runtime.operations.setDatabases(this.#id, this.#databases);
    const storage = await folderFingerprint(this.#target.documentStorage);
    return { databases: Object.keys(this.#databases), storage };
  }

  // ---- prepare, schema, data, keep-target, constraints ------------------------------------

  /**
   * The copy of every database, with the five copy steps marked as the copies pass them.
   * Entered again (after a crash or a failed attempt), it drops the staging databases and
   * starts over from a new snapshot: a snapshot does not survive its session.
   */
  async #copyStep(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#copyOnce();
      } catch (error) {
        if (attempt >= COPY_ATTEMPTS || this.#abort.signal.aborted || !lostConnection(error)) throw error;
        const wait = 1000 * 2 ** (attempt - 1);
        await this.#log(
          'data',
          'warning',
          `the copy lost a database connection (${this.#redactor.redact((error as Error).message)}); it starts again from a new snapshot in ${wait / 1000} s (attempt ${attempt + 1} of ${COPY_ATTEMPTS})`,
        );
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }

  async #copyOnce(): Promise<void> {
    const operation = await this.#runtime.operations.get(this.#id);
    if (COPY_STEPS.every((s) => operation.steps.find((x) => x.name === s)?.status === 'succeeded')) return;
    const again = operation.steps.some((s) => COPY_STEPS.includes(s.name) && s.attempts > 0);
    if (again) {
      await this.#log('prepare', 'warning', 'the copy was interrupted earlier: it starts again from a new snapshot of the source');
    }
    await this.#failAtForTests('prepare');
    const dropped = await this.#dropStaging();
    if (dropped.length > 0) await this.#log('prepare', 'info', `removed staging database(s) left by an earlier attempt: ${dropped.join(', ')}`);
    const profile = loadProfile(this.#target.profile);
    const plain = loadProfile('plain');
    const maskKey = this.#runtime.secrets.derive('masks');
    const jobs = Number(operation.options.jobs ?? 2);
    const verify = operation.options.verify === 'checksums' ? 'checksums' : 'counts';
    const roles = Object.keys(this.#databases) as DatabaseRole[];
    const tracker = new StepTracker(roles, async (step, status) => {
      if (status === 'running') {
        fault(`before:${step}`);
        await this.#runtime.operations.stepStarted(this.#id, step);
        this.#emit({ type: 'step', step, status });
        await this.#log(step, 'info', `step ${step} started`);
        if (step === 'prepare') await this.#log('prepare', 'info', `creating staging database(s) ${roles.map((r) => this.#databases[r]!.staging).join(', ')}`);
      } else {
        await this.#runtime.operations.stepFinished(this.#id, step, 'succeeded', { seconds: tracker.seconds(step) });
        await this.#log(step, 'info', `step ${step} succeeded (${tracker.seconds(step)} s)`);
        this.#emit({ type: 'step', step, status });
        fault(`after:${step}`);
      }
    });
    const progress = new Map<DatabaseRole, Extract<CopyEvent, { type: 'progress' }>>();
    let lastTable: string | null = null;
    let lastSaved = 0;
    const local = new AbortController();
    const onAbort = () => local.abort(this.#abort.signal.reason);
    this.#abort.signal.addEventListener('abort', onAbort, { once: true });
    // One copy failed: end the others at once rather than at their next phase.
    local.signal.addEventListener('abort', () => void this.#dropStaging().catch(() => {}), { once: true });
    const copies = roles.map(async (role): Promise<[DatabaseRole, CopyResult]> => {
      const names = this.#databases[role]!;
      try {
        const result = await copyDatabase({
          sourceUrl: this.#sourceUrls[role]!,
          targetUrl: withDatabase(this.#targetUrls[role]!, names.staging),
          keepFromUrl: role === 'application' ? this.#targetUrls.application : undefined,
          profile: role === 'application' ? profile : plain,
          maskKey,
          jobs: role === 'application' ? jobs : 1,
          verify,
          pgBin: this.#runtime.config.pgBin,
          signal: local.signal,
          ...(role === 'application'
            ? {
                inspectKept: async (copy: pg.Client, keepSnapshot: pg.Client) => {
                  const { checks, digests } = await verifyKept(profile, profile.salt ?? maskKey, copy, keepSnapshot);
                  await this.#runtime.operations.stepCounters(this.#id, 'keep-target', { checks, digests });
                },
              }
            : {}),
          onEvent: (event) => {
            if (event.type === 'phase') tracker.phase(role, PHASE_STEP[event.phase], event.status);
            else if (event.type === 'warning') void this.#log(PHASE_STEP.preflight, 'warning', `${role}: ${event.message}`);
            else if (event.type === 'table') {
              if (role === 'application') lastTable = event.table;
              const mb = (event.bytes / 1048576).toFixed(1);
              void this.#log('data', 'info', `${role}: ${event.table} (${event.mode}): ${event.rows} rows, ${mb} MiB in ${round(event.seconds)} s`, {
                table: event.table,
                rows: event.rows,
                bytes: event.bytes,
              });
            } else if (role === 'application') {
              // The application database is nearly all of the bytes; the reporting copy's
              // few tables would only make the bar jump.
              progress.set(role, event);
              // Some tables are in and others are streaming: the middle of a table's copy.
              if (event.tablesDone > 0 && event.tablesDone < event.tablesTotal) fault('data:mid-table');
              const sum = sumProgress([...progress.values()]);
              this.#emit({ type: 'progress', step: 'data', ...sum, lastTable });
              if (Date.now() - lastSaved > 1000) {
                lastSaved = Date.now();
                this.#queue(() => this.#runtime.operations.stepCounters(this.#id, 'data', sum));
              }
            }
          },
        });
        tracker.done(role);
        return [role, result];
      } catch (error) {
        local.abort(error);
        throw error;
      }
    });
    let results: [DatabaseRole, CopyResult][];
    try {
      const settled = await Promise.allSettled(copies);
      const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
      if (failed) throw this.#abort.signal.aborted ? new Canceled() : failed.reason;
      results = settled.map((s) => (s as PromiseFulfilledResult<[DatabaseRole, CopyResult]>).value);
    } finally {
      this.#abort.signal.removeEventListener('abort', onAbort);
      await tracker.idle();
    }
    await this.#flush();
    for (const [role, result] of results) {
      const summary = {
        tables: result.tables,
        rows: result.rows,
        bytes: result.bytes,
        seconds: result.seconds.data,
        verified: result.verified,
        masked: result.tableResults.filter((t) => t.masked.length > 0).map((t) => t.table),
      };
      await this.#runtime.operations.stepCounters(this.#id, 'data', { [role]: summary, ...(role === 'application' ? { rows: result.rows, bytes: result.bytes, seconds: result.seconds.data } : {}) });
      await this.#log(
        'constraints',
        'info',
        `${role}: ${result.tables} tables, ${result.rows} rows, ${(result.bytes / 1048576).toFixed(1)} MiB copied into ${this.#databases[role]!.staging}; row ${result.verified} equal the source snapshot (checked inside it)`,
        { role, ...summary },
      );
    }
  }

  // ---- sanitize, synchronize, verify -----------------------------------------------------

  async #sanitize(): Promise<Record<string, unknown> | 'skipped'> {
    const profile = loadProfile(this.#target.profile);
    if (profile.sanitize.length === 0) {
      await this.#log('sanitize', 'info', `profile ${profile.name} has no sanitize statements`);
      return 'skipped';
    }
    const client = await this.#connect(this.#stagingUrl('application'));
    const changed: Record<string, number> = {};
    try {
      await client.query('BEGIN');
      for (const step of profile.sanitize) {
        const result = await client.query(step.sql, /\$1\b/.test(step.sql) ? [this.#target.administrator] : []);
        changed[step.name] = result.rowCount ?? 0;
        await this.#log('sanitize', 'info', `${step.name}: ${step.description} (${rows(result.rowCount ?? 0)})`);
      }
      await client.query('COMMIT');
    } finally {
      await client.end().catch(() => {});
    }
    await this.#log('sanitize', 'info', `Admin is now ${this.#target.administrator}, ${this.#target.name}'s administrator`);
    return { rows: changed };
  }

  async #synchronize(): Promise<Record<string, unknown> | 'skipped'> {
    const command = this.#target.syncCommand;
    if (command === null) {
      await this.#log('synchronize', 'info', `${this.#target.name} has no synchronize command`);
      return 'skipped';
    }
    await this.#log('synchronize', 'info', `running ${this.#target.name}'s synchronize command: ${this.#redactor.redact(command)}`);
    const pending: Promise<void>[] = [];
    const run = await runSyncCommand(command, {
      home: this.#runtime.config.home,
      applicationUrl: this.#stagingUrl('application'),
      reportingUrl: this.#databases.financialReporting ? this.#stagingUrl('financialReporting') : undefined,
      signal: this.#abort.signal,
      onLine: (stream, line) => pending.push(this.#log('synchronize', stream === 'stderr' ? 'warning' : 'info', `${stream}: ${line}`)),
    });
    await Promise.all(pending);
    if (this.#abort.signal.aborted) throw new Canceled();
    if (run.exitCode !== 0) {
      throw new DataalmError(
        'OPERATION_FAILED',
        `the synchronize command ${run.signal ? `was stopped by ${run.signal}` : `exited with code ${run.exitCode}`}; its output is in the runbook log`,
        {
          remedy: `see dataalm op logs ${this.#id} (a customisation of ${this.#target.name} that cannot handle the refreshed data fails here); dataalm op rollback ${this.#id} removes the staging databases`,
        },
      );
    }
    await this.#log('synchronize', 'info', 'the synchronize command finished (exit code 0)');
    return { exitCode: 0 };
  }

  async #verify(): Promise<Record<string, unknown>> {
    const operation = await this.#runtime.operations.get(this.#id);
    const profile = loadProfile(this.#target.profile);
    const checks: VerificationCheck[] = [];
    const data = operation.steps.find((s) => s.name === 'data')?.counters ?? {};
    for (const role of Object.keys(this.#databases)) {
      const copied = data[role] as { tables: number; rows: number; verified: string } | undefined;
      checks.push({
        rule: `row-counts:${role}`,
        description: `Row ${copied?.verified ?? 'counts'} of every copied table of the ${role} database equal the source snapshot.`,
        status: copied ? 'passed' : 'failed',
        detail: copied ? `${copied.tables} tables, ${copied.rows} rows, checked inside the snapshot right after the copy` : 'no record of the copy',
      });
    }
    const keptStep = operation.steps.find((s) => s.name === 'keep-target')?.counters as
      | { checks?: VerificationCheck[]; digests?: Record<string, string> }
      | undefined;
    const staging = await this.#connect(this.#stagingUrl('application'));
    const source = await this.#connect(this.#sourceUrls.application!);
    try {
      if (keptStep?.checks && keptStep.digests) {
        // Checked against the target's snapshot during the copy; still so after sanitize and synchronize?
        const now = await keptDigests(profile, staging);
        for (const check of keptStep.checks) {
          const label = check.rule.replace(/^keep-target:/, '');
          const changed = now[label] !== keptStep.digests[label];
          checks.push(changed ? { ...check, status: 'failed', detail: `changed after the copy, by a sanitize statement or the synchronize command (${check.detail})` } : check);
        }
      } else if (profile.rules.some((r) => r.action === 'keep-target')) {
        checks.push({ rule: 'keep-target', description: "The target's kept rows and columns.", status: 'failed', detail: 'no record of the check made during the copy' });
      }
      checks.push(
        ...(await verifyRules({
          profile,
          administrator: this.#target.administrator,
          staging,
          source,
        })),
      );
    } finally {
      await Promise.all([staging.end(), source.end()].map((p) => p.catch(() => {})));
    }
    const before = operation.steps.find((s) => s.name === 'validate')?.counters.storage as { files: number; digest: string } | null | undefined;
    const now = await folderFingerprint(this.#target.documentStorage);
    // dataalm never writes there; its users may, since the target stays in use.
    const same = JSON.stringify(before ?? null) === JSON.stringify(now);
    checks.push({
      rule: 'document-storage',
      description: "Document storage is not copied: the target's files stay as they are.",
      status: 'passed',
      detail: now
        ? `${now.files} files in ${this.#target.documentStorage}; ${same ? 'unchanged since the refresh began' : "changed by the target's users during the refresh, not by dataalm"}`
        : 'the environment has no document storage',
    });
    const report = { passed: checks.every((c) => c.status === 'passed'), checkedAt: new Date().toISOString(), checks };
    await this.#runtime.operations.setVerification(this.#id, report);
    for (const check of checks) {
      await this.#log('verify', check.status === 'passed' ? 'info' : 'error', `${check.status}: ${check.rule}: ${check.detail}`);
    }
    const failed = checks.filter((c) => c.status === 'failed');
    if (failed.length > 0) {
      throw new DataalmError('VERIFY_FAILED', `${failed.length} verification check(s) failed, first ${failed[0]!.rule}: ${failed[0]!.detail}`, {
        remedy: `dataalm op show ${this.#id} shows the verification report; the target was not touched`,
      });
    }
    return { checks: checks.length, passed: checks.length };
  }

  // ---- cutover, post ----------------------------------------------------------------------

  async #cutover(): Promise<Record<string, unknown>> {
    const ops = this.#runtime.operations;
    if (!(await ops.beginCutover(this.#id, this.#worker))) {
      if (await ops.isCancelRequested(this.#id)) throw new Canceled();
      throw new DataalmError('OPERATION_FAILED', 'the operation is no longer this process\'s to cut over');
    }
    this.#cutoverStarted = true;
    const crumbs = Object.entries(this.#databases).map(([role, names]) => ({ role: role as DatabaseRole, database: names.breadcrumb, replaced: names.database }));
    // Written first: whatever happens next, the control data knows which names to look for.
    await ops.recordCutoverIntent(this.#id, crumbs, this.#runtime.config.breadcrumbRetentionSeconds);
    const planned = (Object.entries(this.#databases) as [DatabaseRole, OperationDatabase][]).map(([role, names]) => ({
      role,
      live: names.database,
      parkAs: names.breadcrumb,
      replacement: names.staging,
    }));
    const done: { client: pg.Client; swaps: Swap[] }[] = [];
    let offlineMs = 0;
    let sessions = 0;
    try {
      for (const { url, items: swaps } of groupByServer(this.#targetUrls, planned)) {
        const client = await connectMaintenance(url, 'target');
        done.push({ client, swaps: [] });
        for (const swap of swaps) {
          if (this.#operation.kind === 'refresh') await copyDatabaseAttributes(client, swap.live, swap.replacement);
        }
        const result = await swapDatabases(client, swaps, (moment) => fault(`cutover:between-${moment}`));
        done[done.length - 1]!.swaps.push(...swaps);
        offlineMs += result.offlineMs;
        sessions += result.terminatedSessions;
      }
    } catch (error) {
      // A later server failed: switch the ones already done back, so all databases stay of
      // one generation. Whether each swap stands is then read from the servers
      // (reconcileCutover, in the failure path), not assumed.
      for (const { client, swaps } of done.filter((d) => d.swaps.length > 0)) {
        await swapDatabases(client, swaps.map((s) => ({ live: s.live, parkAs: s.replacement, replacement: s.parkAs }))).catch(async (undo: Error) => {
          await this.#log('cutover', 'error', `switching ${swaps.map((s) => s.live).join(', ')} back failed: ${undo.message}`);
        });
      }
      throw error;
    } finally {
      for (const { client } of done) await client.end().catch(() => {});
    }
    await this.#failAtForTests('cutover:swapped');
    await retry(() => ops.recordCutover(this.#id, offlineMs));
    await this.#log(
      'cutover',
      'info',
      `cutover done: ${Object.values(this.#databases).map((d) => `${d.database} (previous one kept as ${d.breadcrumb})`).join(', ')}; offline for ${round(offlineMs)} ms; ${sessions} session(s) ended`,
      { offlineMs: round(offlineMs), sessions },
    );
    return { offlineMs: round(offlineMs), sessions };
  }

  async #post(): Promise<Record<string, unknown>> {
    if (this.#operation.kind === 'apply') {
      const environment = await this.#runtime.environments.get(this.#target.name);
      await this.#log('post', 'info', `${environment.name} now runs release ${environment.applicationRelease}, platform update ${environment.platformUpdate}, MRApplicationService ${environment.financialReportingVersion}`);
      return { pendingActions: environment.pendingActions.length };
    }
    let retail: Record<string, unknown> = {};
    if (this.#operation.kind === 'restore' && this.#operation.restoresOperation !== null) {
      // The databases from before that refresh are back: what it left to do no longer applies.
      await this.#runtime.environments.clearPendingActionsOf(this.#target.name, this.#operation.restoresOperation);
    }
    if (this.#target.retail && this.#operation.kind === 'refresh') {
      const target = await this.#runtime.environments.get(this.#target.name);
      retail = await afterRetailRefresh(this.#runtime, target, this.#targetUrls, this.#id, (level, message, data) => this.#log('post', level, message, data));
    }
    const dropped = await pruneBreadcrumbs(this.#runtime, this.#target.name);
    for (const crumb of dropped) await this.#log('post', 'info', `expired breadcrumb ${crumb} dropped`);
    return { retail: this.#target.retail, ...retail, expiredBreadcrumbsDropped: dropped.length };
  }

  // ---- apply: scripts, files, versions ------------------------------------------------------

  #asset: Asset | undefined;

  async #package(): Promise<Asset> {
    this.#asset ??= await findPackage(this.#runtime, Number(this.#operation.options.package));
    return this.#asset;
  }

  /** Throws when this process no longer holds the operation (another worker took it over). */
  readonly #stillMine = async (): Promise<void> => {
    if (!(await this.#runtime.operations.heartbeat(this.#id, this.#worker))) {
      throw new DataalmError('OPERATION_FAILED', 'this process no longer holds the operation: another worker has taken it over');
    }
  };

  async #applyScripts(): Promise<Record<string, unknown> | 'skipped'> {
    // The point of no cancel: from here on the package changes the environment.
    if (!(await this.#runtime.operations.beginCutover(this.#id, this.#worker))) {
      if (await this.#runtime.operations.isCancelRequested(this.#id)) throw new Canceled();
      throw new DataalmError('OPERATION_FAILED', "the operation is no longer this process's to run");
    }
    this.#cutoverStarted = true;
    const asset = await this.#package();
    const scripts = await this.#runtime.assets.scripts(asset.id);
    if (Object.values(scripts).every((list) => (list ?? []).length === 0)) {
      await this.#log('scripts', 'info', 'the package has no scripts');
      return 'skipped';
    }
    const environment = await this.#runtime.environments.get(this.#target.name);
    const counts = await runScripts(
      environment,
      this.#targetUrls,
      scripts,
      (level, message, data) => this.#log('scripts', level, message, data),
      `dataalm operation ${this.#id}`,
      this.#stillMine,
    );
    return { scripts: counts };
  }

  async #applyFiles(): Promise<Record<string, unknown> | 'skipped'> {
    const asset = await this.#package();
    if (asset.files.length === 0) {
      await this.#log('files', 'info', 'the package has no files for document storage');
      return 'skipped';
    }
    const environment = await this.#runtime.environments.get(this.#target.name);
    const written = await writeFiles(environment, await this.#runtime.assets.files(asset.id), (level, message, data) => this.#log('files', level, message, data), this.#stillMine);
    if (installersIn(environment).length > 0 && (await this.#runtime.environments.clearPendingAction(environment.name, INSTALLERS_ACTION))) {
      await this.#log('files', 'info', 'the self-service installers are back in document storage: pending action done');
    }
    return written;
  }

  /** What a failed apply leaves behind, from its steps: which ran, whether the versions changed. */
  async #applyOutcome(): Promise<string> {
    const steps = (await this.#runtime.operations.get(this.#id)).steps;
    const done = steps.filter((s) => s.status === 'succeeded' && s.name !== 'validate').map((s) => s.name);
    const versions = steps.find((s) => s.name === 'versions')?.status === 'succeeded' ? 'were set' : 'are unchanged';
    return `steps done before the failure: ${done.join(', ') || 'none'}; the versions of ${this.#target.name} ${versions}. Fix the cause and apply the package again: dataalm env apply ${this.#target.name} --package ${String(this.#operation.options.package)}`;
  }

  async #applyVersions(): Promise<Record<string, unknown>> {
    const asset = await this.#package();
    const environment = await this.#runtime.environments.get(this.#target.name);
    const changes = versionChanges(environment, asset.sets);
    await this.#stillMine();
    await this.#runtime.environments.setVersions(environment.name, asset.sets);
    for (const change of changes) await this.#log('versions', 'info', `${change.field}: ${change.from ?? '-'} → ${change.to}`);
    if (asset.kind === 'reprovisioning-tool' && (await this.#runtime.environments.clearPendingAction(environment.name, REPROVISION_ACTION))) {
      await this.#log('versions', 'info', 'the Environment Reprovisioning Tool has run: pending action done');
    }
    return { changes };
  }

  // ---- helpers ----------------------------------------------------------------------------

  #stagingUrl(role: DatabaseRole): string {
    return withDatabase(this.#targetUrls[role]!, this.#databases[role]!.staging);
  }

  async #connect(url: string): Promise<pg.Client> {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000, application_name: `dataalm operation ${this.#id}` });
    client.on('error', () => {});
    await client.connect();
    return client;
  }

  /** Drops the staging databases that exist; returns their names. */
  async #dropStaging(): Promise<string[]> {
    if (this.#operation.kind !== 'refresh') return [];
    const dropped: string[] = [];
    for (const [role, names] of Object.entries(this.#databases) as [DatabaseRole, OperationDatabase][]) {
      if (await onServer(this.#targetUrls[role]!, role, (admin) => dropDatabaseIfExists(admin, names.staging))) dropped.push(names.staging);
    }
    return dropped;
  }

  #queue(write: () => Promise<unknown>): void {
    this.#writes = this.#writes.then(write).catch(() => {});
  }

  async #flush(): Promise<void> {
    await this.#writes;
  }

  async #log(step: string | null, level: LogLine['level'], message: string, data?: Record<string, unknown>): Promise<void> {
    const text = this.#redactor.redact(message);
    const line: LogLine = { at: new Date().toISOString(), step, level, message: text, data: data ?? null };
    this.#emit({ type: 'log', line });
    const done = this.#writes.then(() => this.#runtime.operations.log(this.#id, step, level, text, data));
    this.#writes = done.catch(() => {});
    await done.catch(() => {});
  }

  #describe(thrown: unknown, step: StepName | null): OperationError {
    const error = coerceError(thrown);
    const known = error instanceof DataalmError ? error : undefined;
    return {
      code: known?.code ?? 'OPERATION_FAILED',
      message: this.#redactor.redact(error.message),
      ...(known?.remedy ? { remedy: this.#redactor.redact(known.remedy) } : {}),
      ...(step ? { step } : {}),
    };
  }

  async #finishHistory(state: string): Promise<void> {
    const operation = await this.#runtime.operations.get(this.#id);
    const what =
      operation.kind === 'refresh'
        ? `refresh from ${operation.source}`
        : operation.kind === 'apply'
          ? `apply of package ${String(operation.options.package)} (${packageLabel({ name: String(operation.options.packageName), version: String(operation.options.packageVersion) })}, ${ASSET_KIND_LABELS[operation.options.packageKind as AssetKind] ?? String(operation.options.packageKind)})`
          : `restore of the state before operation ${operation.restoresOperation}`;
    const changes = operation.kind === 'apply' ? operation.steps.find((s) => s.name === 'versions')?.counters.changes : undefined;
    await this.#runtime.environments.addHistory(this.#target.name, `${what}: ${state}`, {
      operation: this.#id,
      kind: operation.kind,
      state,
      source: operation.source,
      offlineMs: operation.offlineMs,
      ...(operation.kind === 'apply'
        ? {
            package: operation.options.package,
            changes: ((changes ?? []) as { field: string; from: string | null; to: string }[]).map((c) => `${c.field} ${c.from ?? '-'} → ${c.to}`),
          }
        : {}),
    });
  }
}

/**
 * Follows the copies of several databases through the copy steps, at the pace of the
 * slowest (the application database; financial reporting is small): a step is running once
 * every copy has reached it and succeeded when the last has left it. Writes go out in order.
 */
class StepTracker {
  readonly #roles: readonly DatabaseRole[];
  readonly #position = new Map<DatabaseRole, number>();
  readonly #state = new Map<StepName, 'pending' | 'running' | 'succeeded'>();
  readonly #started = new Map<StepName, number>();
  readonly #finished = new Map<StepName, number>();
  readonly #write: (step: StepName, status: 'running' | 'succeeded') => Promise<void>;
  #chain: Promise<void> = Promise.resolve();

  constructor(roles: readonly DatabaseRole[], write: (step: StepName, status: 'running' | 'succeeded') => Promise<void>) {
    this.#roles = roles;
    this.#write = write;
    for (const role of roles) this.#position.set(role, -1);
    for (const step of COPY_STEPS) this.#state.set(step, 'pending');
  }

  phase(role: DatabaseRole, step: StepName, status: 'started' | 'finished'): void {
    if (status !== 'started') return;
    this.#position.set(role, Math.max(this.#position.get(role)!, COPY_STEPS.indexOf(step)));
    this.#update();
  }

  done(role: DatabaseRole): void {
    this.#position.set(role, COPY_STEPS.length);
    this.#update();
  }

  seconds(step: StepName): number {
    return round(((this.#finished.get(step) ?? performance.now()) - (this.#started.get(step) ?? performance.now())) / 1000);
  }

  idle(): Promise<void> {
    return this.#chain;
  }

  #update(): void {
    const lowest = Math.min(...this.#roles.map((r) => this.#position.get(r)!));
    COPY_STEPS.forEach((step, index) => {
      const state = this.#state.get(step)!;
      if (state === 'pending' && lowest >= index) {
        this.#state.set(step, 'running');
        this.#started.set(step, performance.now());
        this.#chain = this.#chain.then(() => this.#write(step, 'running')).catch(() => {});
      }
      if (this.#state.get(step) === 'running' && lowest > index) {
        this.#state.set(step, 'succeeded');
        this.#finished.set(step, performance.now());
        this.#chain = this.#chain.then(() => this.#write(step, 'succeeded')).catch(() => {});
      }
    });
  }
}

function sumProgress(events: readonly Extract<CopyEvent, { type: 'progress' }>[]) {
  const sum = (key: 'rows' | 'bytes' | 'bytesTotal' | 'tablesDone' | 'tablesTotal' | 'mbPerSecond') => events.reduce((s, e) => s + e[key], 0);
  const etas = events.map((e) => e.etaSeconds).filter((e): e is number => e !== null);
  return {
    rows: sum('rows'),
    bytes: sum('bytes'),
    bytesTotal: sum('bytesTotal'),
    tablesDone: sum('tablesDone'),
    tablesTotal: sum('tablesTotal'),
    mbPerSecond: round(sum('mbPerSecond')),
    etaSeconds: etas.length === 0 ? null : Math.max(...etas),
  };
}

/** Attempts of the copy when a connection to the source or the target is lost. */
const COPY_ATTEMPTS = 3;

/**
 * A connection to the source or the target ended under the copy (a backend terminated, a
 * server restarted, the network lost): worth a new attempt, unlike a wrong schema or data.
 */
function lostConnection(error: unknown): boolean {
  const CODES = new Set(['57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT']);
  for (let e = error as { code?: string; message?: string; cause?: unknown } | undefined, depth = 0; e && depth < 8; e = e.cause as typeof e, depth++) {
    if (e.code !== undefined && CODES.has(e.code)) return true;
    if (/terminating connection|Connection terminated|server closed the connection|connection to server .* failed/i.test(e.message ?? '')) return true;
  }
  return false;
}

/** A write to the control database that must not be lost to a short outage. */
async function retry<T>(write: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
    }
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
