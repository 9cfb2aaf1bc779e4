import type { DatabaseRole } from './environment.js';
import type { DataalmCode, RefusalCode } from './errors/dataalm-error.js';

/**
 * Terminology
 * - Operation: one action on an environment (a refresh, a restore of a breadcrumb, or an
 *   apply of a deployable package), with
 *   a runbook of ordered steps. A rollback runs on the record of the operation it undoes
 *   (failed → rolling-back → rolled-back), held under a lease like any run, so a worker
 *   takes over a rollback whose process died.
 * - Staging database: where a refresh builds the new copy while the target stays online.
 * - Breadcrumb: the target's previous database, renamed at cutover and kept for a while,
 *   so the pre-refresh state can be brought back.
 * - Offline window: the time between blocking new connections to the target and opening
 *   the swapped-in database, in milliseconds.
 */
export const OPERATION_KINDS = ['refresh', 'restore', 'apply'] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];

export const OPERATION_STATES = ['queued', 'running', 'succeeded', 'failed', 'canceled', 'rolling-back', 'rolled-back'] as const;
export type OperationState = (typeof OPERATION_STATES)[number];

/** States in which the operation still holds its target (at most one per target). */
export const ACTIVE_STATES: readonly OperationState[] = ['queued', 'running', 'rolling-back'];

/**
 * The refresh runbook of DESIGN §2, in the order the steps happen. keep-target comes before
 * constraints: the target's kept rows go in before the post-data section creates the
 * application's triggers and foreign keys, so those never fire on them.
 */
export const REFRESH_STEPS = [
  'validate',
  'prepare',
  'schema',
  'data',
  'keep-target',
  'constraints',
  'sanitize',
  'synchronize',
  'verify',
  'cutover',
  'post',
] as const;
export const RESTORE_STEPS = ['validate', 'cutover', 'post'] as const;
/** Applying a package: check it, run its scripts, put its files in document storage, set the versions. */
export const APPLY_STEPS = ['validate', 'scripts', 'files', 'versions', 'post'] as const;
export type StepName = (typeof REFRESH_STEPS)[number] | (typeof APPLY_STEPS)[number];

export const STEP_STATUSES = ['pending', 'running', 'succeeded', 'failed', 'skipped', 'canceled'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

export interface Step {
  readonly position: number;
  readonly name: StepName;
  readonly status: StepStatus;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly attempts: number;
  readonly counters: Record<string, unknown>;
}

export interface OperationError {
  /** An error code (OPERATION_FAILED, VERIFY_FAILED, WORKER_STOPPED, …) or a refusal's. */
  readonly code: DataalmCode;
  readonly message: string;
  readonly remedy?: string | undefined;
  readonly step?: string | undefined;
}

export interface VerificationCheck {
  /** A stable name, e.g. `clear:public.batchjobhistory` or `sanitize:disable-users`. */
  readonly rule: string;
  readonly description: string;
  readonly status: 'passed' | 'failed';
  readonly detail: string;
}

export interface VerificationReport {
  readonly passed: boolean;
  readonly checkedAt: string;
  readonly checks: readonly VerificationCheck[];
}

/** Per database role: where the copy is built and what the replaced database is called. */
export interface OperationDatabase {
  readonly database: string;
  readonly staging: string;
  readonly breadcrumb: string;
}

export interface Operation {
  readonly id: number;
  readonly kind: OperationKind;
  readonly environment: string;
  readonly source: string | null;
  readonly restoresOperation: number | null;
  readonly state: OperationState;
  readonly requestedBy: string;
  readonly requestedAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly options: Record<string, unknown>;
  readonly databases: Readonly<Record<string, OperationDatabase>>;
  readonly cancelRequested: boolean;
  /** Set when the cutover began (no cancel after it); cutoverAt once the swap is recorded. */
  readonly cutoverStartedAt: string | null;
  readonly cutoverAt: string | null;
  readonly offlineMs: number | null;
  readonly verification: VerificationReport | null;
  readonly error: OperationError | null;
  readonly worker: string | null;
  readonly heartbeatAt: string | null;
  readonly steps: readonly Step[];
}

/** The target's previous database, renamed at a cutover and kept for a while (see Terminology). */
export interface Breadcrumb {
  readonly operationId: number;
  readonly role: DatabaseRole;
  readonly environment: string;
  readonly database: string;
  readonly replaced: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly state: 'pending' | 'kept' | 'restored' | 'dropped';
}

export interface LogLine {
  readonly at: string;
  readonly step: string | null;
  readonly level: 'info' | 'warning' | 'error';
  readonly message: string;
  readonly data: Record<string, unknown> | null;
}

/** A refused request: a stable code, what is wrong, and how to fix it. */
export interface RefusalReason {
  readonly code: RefusalCode;
  readonly message: string;
  readonly remedy: string;
}
