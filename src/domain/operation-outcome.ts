import type { EnvironmentState } from './environment.js';
import type { Operation, OperationKind, OperationState } from './operation.js';
import { ASSET_KIND_LABELS, type AssetKind, packageLabel } from './asset.js';

/**
 * How an operation ends. Forward outcomes end a `running` operation; the rollback outcomes
 * end a `rolling-back` one. Whoever ends an operation (its runner, a worker reaping an
 * abandoned one, a rollback) names one of these, and the rules below say the rest.
 */
export const OPERATION_OUTCOMES = ['succeeded', 'failed', 'canceled', 'rolled-back', 'rollback-failed'] as const;
export type OperationOutcome = (typeof OPERATION_OUTCOMES)[number];

/** The state an operation must be in for this outcome to end it. */
export function settlesFrom(outcome: OperationOutcome): readonly OperationState[] {
  switch (outcome) {
    case 'succeeded':
    case 'failed':
    case 'canceled':
      return ['running'];
    case 'rolled-back':
    case 'rollback-failed':
      return ['rolling-back'];
    default: {
      const never: never = outcome;
      return never;
    }
  }
}

/** The operation's state once the outcome is recorded. A rollback that failed leaves it failed, with the rollback offered again. */
export function finalState(outcome: OperationOutcome): OperationState {
  switch (outcome) {
    case 'succeeded':
    case 'failed':
    case 'canceled':
    case 'rolled-back':
      return outcome;
    case 'rollback-failed':
      return 'failed';
    default: {
      const never: never = outcome;
      return never;
    }
  }
}

/**
 * The environment's state once an operation ends. Only databases that were swapped can
 * leave it broken: a refresh or restore that failed after its cutover (or whose rollback
 * failed after it) leaves `failed`. Before the cutover the target was never touched; an
 * apply runs each database's scripts in one transaction, so a failed one leaves it usable.
 */
export function environmentStateAfter(kind: OperationKind, outcome: OperationOutcome, cutoverReached: boolean): EnvironmentState {
  switch (outcome) {
    case 'succeeded':
    case 'canceled':
    case 'rolled-back':
      return 'deployed';
    case 'failed':
    case 'rollback-failed':
      return kind !== 'apply' && cutoverReached ? 'failed' : 'deployed';
    default: {
      const never: never = outcome;
      return never;
    }
  }
}

/** The environment history's entry for an ended operation, or null when the outcome writes none. */
export function historyEntry(operation: Operation, outcome: OperationOutcome, actor?: string): { event: string; details: Record<string, unknown> } | null {
  if (outcome === 'rollback-failed') return null;
  if (outcome === 'rolled-back') return { event: `rollback of operation ${operation.id}`, details: { operation: operation.id, ...(actor ? { actor } : {}) } };
  const state = finalState(outcome);
  const what =
    operation.kind === 'refresh'
      ? `refresh from ${operation.source}`
      : operation.kind === 'apply'
        ? `apply of package ${String(operation.options.package)} (${packageLabel({ name: String(operation.options.packageName), version: String(operation.options.packageVersion) })}, ${ASSET_KIND_LABELS[operation.options.packageKind as AssetKind] ?? String(operation.options.packageKind)})`
        : `restore of the state before operation ${operation.restoresOperation}`;
  const changes = operation.kind === 'apply' ? operation.steps.find((s) => s.name === 'versions')?.counters.changes : undefined;
  return {
    event: `${what}: ${state}`,
    details: {
      operation: operation.id,
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
    },
  };
}
