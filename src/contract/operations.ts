import { z } from 'zod';
import { DATAALM_CODES } from '../domain/errors/dataalm-error.js';
import { OPERATION_KINDS, OPERATION_STATES, type Operation, type OperationDatabase, STEP_STATUSES, type Step, type VerificationReport } from '../domain/operation.js';
import { jsonObject } from './common.js';

export const verificationReport = z.strictObject({
  passed: z.boolean(),
  checkedAt: z.string(),
  checks: z.array(
    z.strictObject({
      /** A stable name, e.g. `clear:public.batchjobhistory` or `sanitize:disable-users`. */
      rule: z.string(),
      description: z.string(),
      status: z.enum(['passed', 'failed']),
      detail: z.string(),
    }),
  ),
}) satisfies z.ZodType<VerificationReport>;

/** One step of a runbook. Its name is a plain string here: clients show the names the server sends. */
export const step = z.strictObject({
  position: z.number(),
  name: z.string(),
  status: z.enum(STEP_STATUSES),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  attempts: z.number(),
  /** What the step did (e.g. an apply's version changes); its shape depends on the step. */
  counters: jsonObject,
}) satisfies z.ZodType<Omit<Step, 'name'> & { name: string }>;

export const operationError = z.strictObject({ code: z.enum(DATAALM_CODES), message: z.string(), remedy: z.string().optional(), step: z.string().optional() });

export const operation = z.strictObject({
  id: z.number(),
  kind: z.enum(OPERATION_KINDS),
  environment: z.string(),
  source: z.string().nullable(),
  restoresOperation: z.number().nullable(),
  state: z.enum(OPERATION_STATES),
  requestedBy: z.string(),
  requestedAt: z.string(),
  startedAt: z.string().nullable(),
  finishedAt: z.string().nullable(),
  /** An apply's options hold package, packageName, packageKind and packageVersion. */
  options: jsonObject,
  databases: z.record(z.string(), z.strictObject({ database: z.string(), staging: z.string(), breadcrumb: z.string() }) satisfies z.ZodType<OperationDatabase>),
  cancelRequested: z.boolean(),
  /** Set when the cutover began (no cancel after it); cutoverAt once the swap is recorded. */
  cutoverStartedAt: z.string().nullable(),
  cutoverAt: z.string().nullable(),
  offlineMs: z.number().nullable(),
  verification: verificationReport.nullable(),
  error: operationError.nullable(),
  worker: z.string().nullable(),
  heartbeatAt: z.string().nullable(),
  steps: z.array(step),
}) satisfies z.ZodType<Omit<Operation, 'steps'> & { steps: readonly z.infer<typeof step>[] }>;

/** The answer to a request that queued an operation (refresh, restore, apply). */
export const queued = z.strictObject({ operation });

/** The event stream's "log" event: one runbook line. */
export const logLine = z.strictObject({
  at: z.string(),
  step: z.string().nullable(),
  level: z.enum(['info', 'warning', 'error']),
  message: z.string(),
});

/** The event stream's "progress" event, of the data copy: `done` and `total` are bytes; `detail` is the table copied last. */
export const progress = z.strictObject({
  step: z.string(),
  done: z.number(),
  total: z.number(),
  rows: z.number(),
  tablesDone: z.number(),
  tablesTotal: z.number(),
  mbPerSecond: z.number(),
  etaSeconds: z.number().nullable(),
  detail: z.string().nullable(),
});

/**
 * Events of GET /api/operations/:id/events by name: the whole operation at first and on each
 * change, log lines, copy progress, then the end (or an error when the stream stops).
 */
export const operationEvents = {
  operation,
  log: logLine,
  progress,
  end: operation,
  error: z.strictObject({ code: z.string(), message: z.string() }),
} as const;
