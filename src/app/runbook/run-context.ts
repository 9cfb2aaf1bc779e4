import os from 'node:os';
import { DataalmError, coerceError } from '../../domain/errors/dataalm-error.js';
import type { DatabaseRole, Environment } from '../../domain/environment.js';
import type { LogLine, Operation, OperationDatabase, OperationError, StepName } from '../../domain/operation.js';
import { withDatabase } from '../../adapters/postgres/connection-url.js';
import type { SqlSession } from '../../ports/database-server.js';
import type { Runtime } from '../runtime.js';
import { Redactor } from '../../domain/redaction.js';

/** What a runner tells whoever watches it (the CLI's progress, the HTTP API's stream). */
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

/** Thrown where a step notices that a cancel was asked for. */
export class Canceled extends Error {
  constructor() {
    super('canceled');
  }
}

/** This process, as the operations it runs name it. */
export function workerId(): string {
  return `${os.hostname()}:${process.pid}`;
}

/**
 * One run of one operation by this process: what every step module is given. It holds the
 * operation's environment and connection URLs (never logged: the redactor hides their
 * passwords), the database names the operation works on, the abort signal (cancel, or the
 * operation lost to another process), and the runbook log.
 */
export class RunContext {
  readonly runtime: Runtime;
  readonly id: number;
  readonly worker: string;
  readonly target: Environment;
  readonly targetUrls: Partial<Record<DatabaseRole, string>>;
  readonly sourceUrls: Partial<Record<DatabaseRole, string>>;
  readonly redactor: Redactor;
  readonly emit: (event: RunEvent) => void;
  readonly abort = new AbortController();
  operation: Operation;
  /** Per role: the live database, its staging copy (or the breadcrumb restored) and its breadcrumb-to-be. */
  databases: Record<string, OperationDatabase>;
  /** Past the point of no cancel (a cutover begun, an apply's scripts begun): the run goes to its end. */
  pointOfNoCancel = false;
  /**
   * The step a handler that runs several steps (the copy: prepare … constraints) was in when
   * it failed, so the error and the log name that step, not the first one the handler began.
   */
  failedAt: StepName | undefined;
  #writes: Promise<unknown> = Promise.resolve();

  private constructor(
    runtime: Runtime,
    worker: string,
    operation: Operation,
    target: Environment,
    urls: { target: Partial<Record<DatabaseRole, string>>; source: Partial<Record<DatabaseRole, string>> },
    emit: (event: RunEvent) => void,
  ) {
    this.runtime = runtime;
    this.worker = worker;
    this.id = operation.id;
    this.operation = operation;
    this.target = target;
    this.targetUrls = urls.target;
    this.sourceUrls = urls.source;
    this.emit = emit;
    this.redactor = new Redactor([...Object.values(urls.target), ...Object.values(urls.source)]);
    this.databases = { ...operation.databases };
  }

  static async open(runtime: Runtime, id: number, worker: string, emit: (event: RunEvent) => void): Promise<RunContext> {
    const operation = await runtime.operations.get(id);
    const target = await runtime.environments.get(operation.environment);
    const targetUrls = await runtime.environments.connectionUrls(target.name);
    const source = operation.source === null ? undefined : await runtime.environments.find(operation.source);
    const sourceUrls = source ? await runtime.environments.connectionUrls(source.name) : {};
    return new RunContext(runtime, worker, operation, target, { target: targetUrls, source: sourceUrls }, emit);
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** The operation as the control database has it now. */
  async reload(): Promise<Operation> {
    this.operation = await this.runtime.operations.get(this.id);
    return this.operation;
  }

  /** Writes a runbook log line (secrets removed) and tells the watchers; lines keep their order. */
  async log(step: string | null, level: LogLine['level'], message: string, data?: Record<string, unknown>): Promise<void> {
    const text = this.redactor.redact(message);
    const line: LogLine = { at: new Date().toISOString(), step, level, message: text, data: data ?? null };
    this.emit({ type: 'log', line });
    const done = this.#writes.then(() => this.runtime.operations.log(this.id, step, level, text, data));
    this.#writes = done.catch(() => {});
    await done.catch(() => {});
  }

  /** A write to the control database that need not be awaited, kept in order with the log. */
  queue(write: () => Promise<unknown>): void {
    this.#writes = this.#writes.then(write).catch(() => {});
  }

  async flush(): Promise<void> {
    await this.#writes;
  }

  /** Throws when this process no longer holds the operation (another worker took it over). */
  readonly stillMine = async (): Promise<void> => {
    if (!(await this.runtime.operations.heartbeat(this.id, this.worker))) {
      throw new DataalmError('OPERATION_FAILED', 'this process no longer holds the operation: another worker has taken it over');
    }
  };

  /**
   * Marks the point of no cancel in the control data (a cutover, an apply's scripts): from
   * here the run goes to its end. Fails when a cancel came first or the operation is gone.
   */
  async passPointOfNoCancel(what: string): Promise<void> {
    if (!(await this.runtime.operations.beginCutover(this.id, this.worker))) {
      if (await this.runtime.operations.isCancelRequested(this.id)) throw new Canceled();
      throw new DataalmError('OPERATION_FAILED', `the operation is no longer this process's to ${what}`);
    }
    this.pointOfNoCancel = true;
  }

  stagingUrl(role: DatabaseRole): string {
    return withDatabase(this.targetUrls[role]!, this.databases[role]!.staging);
  }

  session(url: string): Promise<SqlSession> {
    return this.runtime.servers.session(url, `dataalm operation ${this.id}`);
  }

  /** Drops the staging databases of a refresh that exist; returns their names. */
  async dropStaging(): Promise<string[]> {
    if (this.operation.kind !== 'refresh') return [];
    const dropped: string[] = [];
    for (const [role, names] of Object.entries(this.databases) as [DatabaseRole, OperationDatabase][]) {
      if (await this.runtime.servers.onServer(this.targetUrls[role]!, role, (server) => server.drop(names.staging))) dropped.push(names.staging);
    }
    return dropped;
  }

  /** An error as the operation records it: a stable code, secrets removed. */
  describe(thrown: unknown, step: StepName | null): OperationError {
    const error = coerceError(thrown);
    const known = error instanceof DataalmError ? error : undefined;
    return {
      code: known?.code ?? 'OPERATION_FAILED',
      message: this.redactor.redact(error.message),
      ...(known?.remedy ? { remedy: this.redactor.redact(known.remedy) } : {}),
      ...(step ? { step } : {}),
    };
  }
}

/**
 * A test can make a step fail on purpose: DATAALM_TEST_FAIL_AT=<step>, or
 * `cutover:swapped` for the moment between the swap and its record.
 */
export function failAtForTests(name: StepName | 'cutover:swapped'): void {
  if (process.env.DATAALM_TEST_FAIL_AT === name) throw new Error(`failure injected at step ${name} (DATAALM_TEST_FAIL_AT)`);
}

export function round(value: number): number {
  return Math.round(value * 100) / 100;
}

/** A write to the control database that must not be lost to a short outage. */
export async function retry<T>(write: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      if (attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
    }
  }
}
