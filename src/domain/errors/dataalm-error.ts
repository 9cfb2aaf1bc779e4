/**
 * The one error type dataalm raises on purpose. `code` is stable (scripts and the HTTP API
 * match on it, and docs/errors.md lists every code); `message` is one line for a person and
 * never contains a secret; `field` names the input that was wrong, when there is one.
 */
export class DataalmError extends Error {
  readonly code: ErrorCode;
  readonly field: string | undefined;
  readonly remedy: string | undefined;
  /** When to try again, in seconds (a RATE_LIMITED answer's Retry-After). */
  readonly retryAfterSeconds: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options: { field?: string; remedy?: string; cause?: unknown; retryAfterSeconds?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DataalmError';
    this.code = code;
    this.field = options.field;
    this.remedy = options.remedy;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** A request that breaks one or more rules: every reason, each with its own code and remedy. */
export class RefusedError extends DataalmError {
  // Codes stay strings here: a refusal read back from a remote dataalm comes as text.
  readonly reasons: readonly { code: string; message: string; remedy: string }[];

  constructor(reasons: readonly { code: string; message: string; remedy: string }[]) {
    const first = reasons[0];
    const more = reasons.length > 1 ? ` (and ${reasons.length - 1} more reason${reasons.length > 2 ? 's' : ''})` : '';
    super('REFUSED', `refused: ${first?.message ?? 'no reason given'}${more}`, first ? { remedy: first.remedy } : {});
    this.name = 'RefusedError';
    this.reasons = reasons;
  }
}

/** Every code, with the HTTP status an API answer carries and the CLI exit code. */
export const ERROR_CODES = {
  INVALID_INPUT: { status: 400, exit: 2 },
  NOT_FOUND: { status: 404, exit: 3 },
  ALREADY_EXISTS: { status: 409, exit: 4 },
  FORBIDDEN: { status: 403, exit: 5 },
  UNREACHABLE_DATABASE: { status: 502, exit: 6 },
  EMBEDDED_SERVER_FAILED: { status: 500, exit: 7 },
  CONFIGURATION: { status: 500, exit: 8 },
  SECRET_KEY_MISMATCH: { status: 500, exit: 8 },
  TOOLS_MISSING: { status: 500, exit: 9 },
  COPY_FAILED: { status: 500, exit: 10 },
  VERIFY_FAILED: { status: 500, exit: 11 },
  REFUSED: { status: 409, exit: 12 },
  OPERATION_FAILED: { status: 500, exit: 13 },
  CANCELED: { status: 409, exit: 14 },
  UNAUTHENTICATED: { status: 401, exit: 15 },
  RATE_LIMITED: { status: 429, exit: 16 },
  UNREACHABLE_SERVER: { status: 502, exit: 17 },
  INTERNAL: { status: 500, exit: 1 },
} as const satisfies Record<string, { status: number; exit: number }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/**
 * Every code a reason of a REFUSED answer carries (RefusalReason.code). Each is a rule that
 * a request broke before anything changed; docs/errors.md says what it means and its remedy.
 */
export const REFUSAL_CODES = [
  // A refresh (DESIGN §2 preflight).
  'SOURCE_NOT_FOUND',
  'TARGET_NOT_FOUND',
  'SAME_ENVIRONMENT',
  'TARGET_IS_PRODUCTION',
  'TARGET_BUSY',
  'SOURCE_BUSY',
  'TARGET_IS_SOURCE',
  'TENANT_MISMATCH',
  'PLATFORM_UPDATE_TOO_OLD',
  'RELEASE_MISMATCH',
  'REPORTING_VERSION_OLDER',
  'RECURRING_JOBS_ACTIVE',
  'RECURRING_JOBS_UNKNOWN',
  'PROFILE_INVALID',
  'COVERAGE_UNDECIDED',
  'DATABASE_MISSING',
  'UNREACHABLE',
  'TARGET_PRIVILEGES',
  'VERSIONS_MISSING',
  'SCHEMA_VERSION_MISMATCH',
  'SCHEMA_VERSION_UNKNOWN',
  // A copy (also a refresh's): what cannot be copied exactly is refused before anything is created.
  'ROLES_MISSING',
  'COPY_PRIVILEGES',
  'LOCK_TABLE_TOO_SMALL',
  'COPY_UNSUPPORTED',
  // A mirror (DESIGN §8): what logical replication needs on the source and the target's server.
  'MIRROR_REQUIREMENTS',
  // Rollback, cancel and restore.
  'NOT_ROLLBACKABLE',
  'NOT_CANCELABLE',
  'NO_BREADCRUMB',
  // A package apply and a scale unit redeploy.
  'PACKAGE_NOT_FOR_RELEASE',
  'PACKAGE_DOWNGRADE',
  'NOT_RETAIL',
  'ENVIRONMENT_NOT_READY',
  'NO_DOCUMENT_STORAGE',
] as const;

export type RefusalCode = (typeof REFUSAL_CODES)[number];

/** Codes only an operation's recorded error carries (it is never thrown). */
export const OPERATION_ERROR_CODES = ['WORKER_STOPPED'] as const;

/**
 * Every code dataalm reports: an error's (ERROR_CODES), a refusal reason's (REFUSAL_CODES)
 * and an operation's recorded error, which is one of those or WORKER_STOPPED.
 * docs/errors.md documents each one (test/config-and-errors.test.ts walks this list).
 */
export const DATAALM_CODES = [
  ...(Object.keys(ERROR_CODES) as ErrorCode[]),
  ...REFUSAL_CODES,
  ...OPERATION_ERROR_CODES,
] as const satisfies readonly string[];

export type DataalmCode = (typeof DATAALM_CODES)[number];

/** Normalises anything thrown into an Error, keeping the original as `cause`. */
export function coerceError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new Error(typeof thrown === 'string' ? thrown : JSON.stringify(thrown), { cause: thrown });
}
