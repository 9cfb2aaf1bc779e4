import type { Operation, OperationDatabase, OperationError, OperationKind, OperationState, Step, StepName, StepStatus, VerificationReport } from '../../domain/operation.js';

/** How an operation is read from the control database: one row with its steps as JSON. */
export interface OperationRow {
  id: string;
  kind: OperationKind;
  environment: string;
  source: string | null;
  restores_operation_id: string | null;
  state: OperationState;
  requested_by: string;
  requested_at: Date;
  started_at: Date | null;
  finished_at: Date | null;
  options: Record<string, unknown>;
  databases: Record<string, OperationDatabase>;
  cancel_requested: boolean;
  cutover_started_at: Date | null;
  cutover_at: Date | null;
  offline_ms: number | null;
  verification: VerificationReport | null;
  error: OperationError | null;
  worker: string | null;
  heartbeat_at: Date | null;
  steps: StepRow[] | null;
}

interface StepRow {
  position: number;
  name: StepName;
  status: StepStatus;
  started_at: string | null;
  finished_at: string | null;
  attempts: number;
  counters: Record<string, unknown>;
}

export const SELECT_OPERATIONS = `
  select o.*, t.name as environment, s.name as source,
         (select json_agg(json_build_object('position', st.position, 'name', st.name, 'status', st.status,
                                            'started_at', st.started_at, 'finished_at', st.finished_at,
                                            'attempts', st.attempts, 'counters', st.counters) order by st.position)
            from dataalm.operation_steps st where st.operation_id = o.id) as steps
    from dataalm.operations o
    join dataalm.environments t on t.id = o.environment_id
    left join dataalm.environments s on s.id = o.source_environment_id`;

export function toOperation(row: OperationRow): Operation {
  return {
    id: Number(row.id),
    kind: row.kind,
    environment: row.environment,
    source: row.source,
    restoresOperation: row.restores_operation_id === null ? null : Number(row.restores_operation_id),
    state: row.state,
    requestedBy: row.requested_by,
    requestedAt: row.requested_at.toISOString(),
    startedAt: row.started_at?.toISOString() ?? null,
    finishedAt: row.finished_at?.toISOString() ?? null,
    options: row.options,
    databases: row.databases,
    cancelRequested: row.cancel_requested,
    cutoverStartedAt: row.cutover_started_at?.toISOString() ?? null,
    cutoverAt: row.cutover_at?.toISOString() ?? null,
    offlineMs: row.offline_ms,
    verification: row.verification,
    error: row.error,
    worker: row.worker,
    heartbeatAt: row.heartbeat_at?.toISOString() ?? null,
    steps: (row.steps ?? []).map(
      (s): Step => ({
        position: s.position,
        name: s.name,
        status: s.status,
        startedAt: s.started_at === null ? null : new Date(s.started_at).toISOString(),
        finishedAt: s.finished_at === null ? null : new Date(s.finished_at).toISOString(),
        attempts: s.attempts,
        counters: s.counters,
      }),
    ),
  };
}
