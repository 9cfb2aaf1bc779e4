import { z } from 'zod';
import type { PendingAction } from '../domain/asset.js';
import { DATABASE_ROLES, type DatabaseInfo, ENVIRONMENT_STATES, ENVIRONMENT_TYPES, type Environment, type HistoryEntry } from '../domain/environment.js';
import type { Breadcrumb } from '../domain/operation.js';
import { jsonObject, reason } from './common.js';

export const databaseInfo = z.strictObject({
  role: z.enum(DATABASE_ROLES),
  host: z.string(),
  port: z.number(),
  database: z.string(),
  user: z.string(),
}) satisfies z.ZodType<DatabaseInfo>;

export const pendingAction = z.strictObject({
  code: z.string(),
  message: z.string(),
  remedy: z.string(),
  since: z.string(),
  /** The operation that left it, if any. */
  operation: z.number().nullable(),
}) satisfies z.ZodType<PendingAction>;

/** An environment: never a password (one written into its synchronize command is hidden). */
export const environment = z.strictObject({
  name: z.string(),
  type: z.enum(ENVIRONMENT_TYPES),
  tenant: z.string(),
  administrator: z.string(),
  /** The seed's versions, for an environment whose profile carries them (finance-operations); otherwise null. */
  applicationRelease: z.string().nullable(),
  platformUpdate: z.number().nullable(),
  financialReportingVersion: z.string().nullable(),
  retail: z.boolean(),
  profile: z.string(),
  documentStorage: z.string().nullable(),
  syncCommand: z.string().nullable(),
  state: z.enum(ENVIRONMENT_STATES),
  /** Versions of components set by packages, beyond the three above (e.g. RetailServer). */
  components: z.record(z.string(), z.string()),
  /** What a person still has to do, e.g. run the reprovisioning tool after a retail refresh. */
  pendingActions: z.array(pendingAction),
  /** Whether a retail refresh runs the Environment Reprovisioning Tool as its post step. */
  autoReprovision: z.boolean(),
  databases: z.array(databaseInfo),
  createdAt: z.string(),
  updatedAt: z.string(),
}) satisfies z.ZodType<Environment>;

export const historyEntry = z.strictObject({ at: z.string(), event: z.string(), details: jsonObject }) satisfies z.ZodType<HistoryEntry>;

/** Detailed version information: each component with its version; a database that does not answer says so. */
export const versions = z.strictObject({
  applicationRelease: z.string().nullable(),
  platformUpdate: z.number().nullable(),
  financialReportingVersion: z.string().nullable(),
  components: z.array(z.strictObject({ name: z.string(), version: z.string() })),
});

/** One environment with its history, detailed versions and self-service installers. */
export const environmentDetails = environment.extend({
  history: z.array(historyEntry),
  versions,
  /** Self-service installer files in the environment's document storage. */
  installers: z.array(z.string()),
});

/** Connection URLs with passwords, per database role the environment has (every one has an application database). */
export const credentials = z.strictObject({ application: z.string(), financialReporting: z.string().optional() }) satisfies z.ZodType<
  Partial<Record<(typeof DATABASE_ROLES)[number], string>>
>;

/**
 * A previous database kept by a refresh or restore. `operation` is the API's name for the
 * operation that kept it and `operationId` the CLI's; both stay, so that scripts written
 * against either keep working, and the CLI prints this object as the API gives it.
 */
export const breadcrumb = z.strictObject({
  operation: z.number(),
  operationId: z.number(),
  environment: z.string(),
  role: z.enum(DATABASE_ROLES),
  database: z.string(),
  replaced: z.string(),
  createdAt: z.string(),
  expiresAt: z.string(),
  state: z.enum(['pending', 'kept', 'restored', 'dropped']),
});

/** A breadcrumb of the domain in the contract's shape. */
export function breadcrumbJson(crumb: Breadcrumb): z.infer<typeof breadcrumb> {
  const { operationId, environment: name, role, database, replaced, createdAt, expiresAt, state } = crumb;
  return { operation: operationId, operationId, environment: name, role, database, replaced, createdAt, expiresAt, state };
}

/**
 * An environment's post-refresh access policy: the application users (and groups, whose
 * members) a refresh re-enables once its verification passed. Empty lists: no policy.
 */
export const accessPolicy = z.strictObject({
  environment: z.string(),
  /** The environment's refresh profile, which says how its application enables a user. */
  profile: z.string(),
  users: z.array(z.string()),
  groups: z.array(z.string()),
  /** Who set it last and when; null when the environment has no policy. */
  updatedBy: z.string().nullable(),
  updatedAt: z.string().nullable(),
  /** Whether the profile can enable users (access.enable) and groups' members (access.groups). */
  supports: z.strictObject({ users: z.boolean(), groups: z.boolean() }),
});

/** Another environment as a source for refreshing this one: eligible, or the reasons it is not. */
export const refreshSource = z.strictObject({ name: z.string(), type: z.enum(ENVIRONMENT_TYPES), eligible: z.boolean(), reasons: z.array(reason) });

const previewEnvironment = z.strictObject({
  name: z.string(),
  type: z.string(),
  tenant: z.string(),
  /** Only for an environment that carries the seed's versions. */
  applicationRelease: z.string().optional(),
  platformUpdate: z.number().optional(),
  financialReportingVersion: z.string().optional(),
  databases: z.array(z.string()),
});

/**
 * What a refresh would do. Source, target, administrator, profile and estimate are missing
 * when the request is refused before they are known.
 */
export const refreshPreview = z.strictObject({
  /** How the application database is copied: cloned from the target's mirror, or copied (DESIGN §8). */
  method: z.enum(['mirror', 'copy']),
  /** The target's mirror, when it has one: whether it is used (and why not), its lag, the moment the data would be from. */
  mirror: z
    .strictObject({
      usable: z.boolean(),
      reason: z.string().nullable(),
      lagBytes: z.number().nullable(),
      dataFrom: z.string().nullable(),
      refreshTimeTables: z.array(z.string()),
    })
    .optional(),
  source: previewEnvironment.optional(),
  target: previewEnvironment.optional(),
  /** The account that becomes the application's administrator on the target; missing when the profile resets none. */
  administrator: z.string().optional(),
  profile: z.string().optional(),
  notCopied: z.array(
    z.strictObject({
      table: z.string(),
      action: z.string(),
      element: z.string(),
      /** A rule on a partitioned table: the partitions ("schema.name") it decides. */
      partitions: z.array(z.string()).optional(),
      /** A clear with cascade: true: the tables ("schema.name") it clears too, since they reference it. */
      cascaded: z.array(z.string()).optional(),
    }),
  ),
  afterwards: z.array(z.string()),
  /** The target's access policy: who is re-enabled once verification passes (absent when none). */
  access: z.strictObject({ users: z.array(z.string()), groups: z.array(z.string()) }).optional(),
  warnings: z.array(z.string()),
  notice: z.string(),
  estimate: z.strictObject({ bytes: z.number(), seconds: z.number() }).optional(),
  refused: z.boolean(),
  reasons: z.array(reason),
  /**
   * The database roles the copy involves: each role named in the source (owner, grantor,
   * grantee, policy role), its name on the target (the profile's roles map; a refresh maps
   * the source environment's database user to the target's), and whether the target's
   * server has it. Empty when the databases were not looked at.
   */
  roles: z.array(z.strictObject({ source: z.string(), target: z.string(), exists: z.boolean() })),
  /**
   * The application's schema version in the source and the target, when the target's profile
   * names a schemaVersion query (null for a side where it could not be read). A refresh needs
   * both equal.
   */
  schemaVersion: z.strictObject({ source: z.string().nullable(), target: z.string().nullable() }).optional(),
  /**
   * How the source's application columns ("schema.table.column") changed since the target's
   * last successful refresh. Missing when the target was never refreshed.
   */
  drift: z
    .strictObject({
      since: z.strictObject({ operation: z.number(), at: z.string() }),
      addedTables: z.array(z.string()),
      removedTables: z.array(z.string()),
      addedColumns: z.array(z.string()),
      removedColumns: z.array(z.string()),
      changedColumns: z.array(z.strictObject({ column: z.string(), from: z.string(), to: z.string() })),
    })
    .optional(),
  /**
   * The profile's coverage of the source: with coverage: strict, the columns it leaves
   * undecided (they refuse the refresh); and the columns copied unmasked that look like
   * personal data (sampling stops after a few seconds: the rest are judged by name).
   */
  coverage: z
    .strictObject({
      strict: z.boolean(),
      undecided: z.array(z.string()),
      unmasked: z.array(z.strictObject({ column: z.string(), kind: z.string() })),
    })
    .optional(),
});
