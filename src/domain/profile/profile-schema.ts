import { z } from 'zod';
import { type Mask, maskSchema } from './mask-schema.js';

export { TRANSFORMERS, type Mask, type MaskInput, type NestedMask, type TransformerName, maskSchema } from './mask-schema.js';

/**
 * Terminology
 * - Refresh profile: declarative data that says what happens, per table or column, when a
 *   database is copied into a sandbox.
 * - clear: the table arrives empty (history, sessions).
 * - keep-target: the target's own rows (or one column's values, matched by primary key)
 *   are kept and the source's are not copied (environment configuration, secrets).
 * - mask: values are replaced in flight by a named, deterministic transformer.
 * - sanitize: statements run on the refreshed copy before it goes live.
 */

/** An SQL identifier as written in the catalog (it is always quoted when used). */
const identifier = z.string().min(1, 'must not be empty').max(63, 'must be at most 63 characters');

export const MISSING_ROLE_POLICIES = ['refuse', 'create', 'target-user'] as const;
export type MissingRolePolicy = (typeof MISSING_ROLE_POLICIES)[number];

/** Kinds of versions an environment may carry (profile environmentVersions). */
export const ENVIRONMENT_VERSION_KINDS = ['finance-operations'] as const;

const tableRef = {
  table: identifier,
  schema: identifier.default('public'),
  /** Shown to the person who confirms a refresh, in the list of data not copied. */
  reason: z.string().optional(),
};

const clearRule = z
  .object({
    action: z.literal('clear'),
    ...tableRef,
    /**
     * Clear the tables that reference this one by foreign key too (and theirs, in turn):
     * without it, a cleared table that another copied table references is refused before
     * anything is copied. (Default: false)
     */
    cascade: z.boolean().optional(),
  })
  .strict();

const keepTargetRule = z
  .object({
    action: z.literal('keep-target'),
    ...tableRef,
    /** Keep only these columns' values (matched by primary key); without it, whole rows. */
    columns: z.array(identifier).min(1).optional(),
    /** For rows the target does not have: what the kept columns get instead. (Default: null) */
    otherwise: maskSchema.optional(),
  })
  .strict()
  .superRefine((rule, ctx) => {
    if (rule.otherwise !== undefined && rule.columns === undefined) {
      ctx.addIssue({ code: 'custom', path: ['otherwise'], message: 'otherwise applies only with columns' });
    }
  });

const maskRule = z
  .object({
    action: z.literal('mask'),
    ...tableRef,
    columns: z.record(identifier, maskSchema).refine((c) => Object.keys(c).length > 0, 'must name at least one column'),
  })
  .strict();

export const ruleSchema = z.discriminatedUnion('action', [clearRule, keepTargetRule, maskRule]);

/**
 * Columns a person decided may be copied as they are (coverage: strict). `['*']` is every
 * column of the table, also those added later: for tables that hold no personal data by
 * nature (e.g. a migrations table). A `reason` records that the columns were reviewed:
 * `profile check` does not report them as looking like personal data.
 */
export const safeSchema = z
  .object({
    table: identifier,
    schema: identifier.default('public'),
    columns: z
      .array(identifier)
      .min(1)
      .refine((c) => !c.includes('*') || c.length === 1, "'*' stands for every column: list it alone"),
    reason: z.string().min(1).optional(),
  })
  .strict();

export const sanitizeSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().min(1),
    /** Run on the refreshed copy; `$1` is the target's administrator account. */
    sql: z.string().min(1),
    /**
     * A query whose one value is the number of rows that break this rule after it ran
     * (`$1` as above): the verification report shows the rule passed only when it is 0.
     */
    verify: z.string().min(1).optional(),
  })
  .strict();

/**
 * Queries on the application database for preflight rule 7. Each returns rows with a
 * `name` column (and `pending`, the number of unprocessed messages).
 */
export const recurringJobsSchema = z
  .object({
    /** Jobs still active: a target with any is refused. */
    active: z.string().min(1),
    /** Jobs with unprocessed messages: a source with any gets a warning. */
    unprocessed: z.string().min(1),
    /**
     * Stops the active jobs, when a person asks for it on a sandbox so that it can be
     * refreshed (audited). (Default: the profile's sanitize statement named
     * `stop-recurring-jobs`, the one a refresh runs on its copy; none: they are stopped in the
     * application)
     */
    stop: z.string().min(1).optional(),
  })
  .strict();

/** One statement of the access policy: `$1` is the list of names (text[]). */
const accessStatementSchema = z
  .object({
    /**
     * Run on the staging copy once verification passed. When it returns rows (`RETURNING id`),
     * their first column names who was enabled, and a listed name it does not return is
     * logged as unknown; otherwise only its row count is.
     */
    sql: z.string().min(1).refine((sql) => /\$1\b/.test(sql), 'must take the list of names as $1 (text[])'),
    description: z.string().min(1).optional(),
  })
  .strict();

/**
 * How the application enables its users, for an environment's post-refresh access policy:
 * the users (or groups) it names are re-enabled after the lock-down, once verification passed.
 */
export const accessSchema = z
  .object({
    /** Enables the users named in `$1`. */
    enable: accessStatementSchema,
    /** Enables every member of the groups named in `$1`. Without it, a policy names users only. */
    groups: accessStatementSchema.optional(),
  })
  .strict();

export const profileSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'must be lower-case letters, digits and "-"'),
    version: z.literal(1, { message: 'must be 1 (the only profile format so far)' }),
    description: z.string().optional(),
    /**
     * Mixed into every hash so masked values cannot be looked up in a dictionary of known
     * addresses. (Default: a key derived from the installation's secret key, so masks are
     * the same in every run of one installation and unknown outside it)
     */
    salt: z.string().min(16, 'must be at least 16 characters (it is what keeps masked values from being guessed)').optional(),
    rules: z.array(ruleSchema).default([]),
    sanitize: z.array(sanitizeSchema).default([]),
    recurringJobs: recurringJobsSchema.optional(),
    /** How a post-refresh access policy re-enables users; without it, environments cannot have one. */
    access: accessSchema.optional(),
    /**
     * The versions environments of this profile carry. `finance-operations`: an application
     * release, a platform update and a financial reporting version, given when the environment
     * is registered, changed by packages and checked by a refresh (DESIGN §2, rules 4–6).
     * (Default: none; an application's own schema version is `schemaVersion`)
     */
    environmentVersions: z.enum(ENVIRONMENT_VERSION_KINDS).optional(),
    /**
     * A query on the application database whose one value is the application's schema version
     * (e.g. `select max(version) from schema_migrations`): a refresh is refused unless the
     * source and the target give the same value.
     */
    schemaVersion: z.object({ query: z.string().min(1, 'must be a query') }).strict().optional(),
    /**
     * Said in the refresh preview before a person confirms, e.g. what the sanitize
     * statements leave for them to do; `{target}` is replaced by the target's name.
     */
    previewWarnings: z.array(z.string().min(1)).default([]),
    /**
     * Source role → target role, for owners, grants, policies and default privileges: roles
     * are server-wide, so a sandbox's server may name production's roles differently.
     * Roles not named here keep their name.
     */
    roles: z.record(z.string().min(1).max(63), z.string().min(1).max(63)).default({}),
    /**
     * A source role (after `roles`) that does not exist on the target server:
     * refuse (before anything is created, naming the roles), create it there as NOLOGIN,
     * or target-user (what it owns belongs to the connecting user; its grants are not copied).
     */
    missingRoles: z.enum(MISSING_ROLE_POLICIES).default('refuse'),
    /**
     * ALTER DATABASE … SET, ALTER ROLE … IN DATABASE … SET, the database's comment and ACL:
     * the source's or the target's current database's. (Default: the source's for dataalm
     * copy; the target's for a refresh, whose environment keeps who may connect and how)
     */
    databaseProperties: z.enum(['source', 'target']).optional(),
    /**
     * strict: every column of the source must be decided (masked, its table cleared or kept,
     * kept by keep-target, generated, or listed under `safe`); an undecided one (e.g. added
     * since the profile was written) refuses a copy and a refresh. (Default: off)
     */
    coverage: z.enum(['strict', 'off']).optional(),
    /** Columns copied as they are on purpose (see safeSchema). */
    safe: z.array(safeSchema).optional(),
  })
  .strict()
  .superRefine((profile, ctx) => {
    const seen = new Map<string, number>();
    profile.rules.forEach((rule, index) => {
      const key = `${rule.schema}.${rule.table}`;
      const first = seen.get(key);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: ['rules', index, 'table'], message: `${key} already has a rule (rules[${first}])` });
      }
      seen.set(key, index);
    });
    const safe = new Map<string, number>();
    (profile.safe ?? []).forEach((entry, index) => {
      const key = `${entry.schema}.${entry.table}`;
      const first = safe.get(key);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['safe', index, 'table'], message: `${key} is already listed (safe[${first}])` });
      safe.set(key, index);
    });
  });

export type Rule = z.infer<typeof ruleSchema>;
export type SafeEntry = z.infer<typeof safeSchema>;
export type Profile = z.infer<typeof profileSchema>;
export type ProfileAccess = z.infer<typeof accessSchema>;
export type ProfileInput = z.input<typeof profileSchema>;
