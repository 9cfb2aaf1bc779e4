import type { PendingAction } from './asset.js';

/**
 * Terminology
 * - Environment: one deployment of the application, with its own databases and document
 *   storage. A production environment is never the target of a refresh.
 * - Database role: `application` (the transactional database) or `financialReporting`.
 * - Administrator: the account that becomes the application's `Admin` user after a refresh;
 *   it belongs to the environment's tenant.
 */
export const ENVIRONMENT_TYPES = ['production', 'sandbox'] as const;
export type EnvironmentType = (typeof ENVIRONMENT_TYPES)[number];

export const ENVIRONMENT_STATES = ['deployed', 'servicing', 'offline', 'failed'] as const;
export type EnvironmentState = (typeof ENVIRONMENT_STATES)[number];

export const DATABASE_ROLES = ['application', 'financialReporting'] as const;
export type DatabaseRole = (typeof DATABASE_ROLES)[number];

/** What anyone may see of a database: no password. */
export interface DatabaseInfo {
  readonly role: DatabaseRole;
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
}

/** What a person says about an environment when registering it. */
interface EnvironmentFields {
  readonly name: string;
  readonly type: EnvironmentType;
  readonly tenant: string;
  readonly administrator: string;
  /**
   * The seed's versions: set when the environment's profile carries them (finance-operations,
   * whose refresh preflight checks them), null for an application that has no such thing.
   * Either all three are set or none is.
   */
  readonly applicationRelease: string | null;
  readonly platformUpdate: number | null;
  readonly financialReportingVersion: string | null;
  readonly retail: boolean;
  readonly profile: string;
  readonly documentStorage: string | null;
  readonly syncCommand: string | null;
}

export interface Environment extends EnvironmentFields {
  readonly state: EnvironmentState;
  /** Versions of components set by packages, beyond the three above (e.g. RetailServer). */
  readonly components: Readonly<Record<string, string>>;
  /** What a person still has to do, e.g. run the reprovisioning tool after a retail refresh. */
  readonly pendingActions: readonly PendingAction[];
  /** Whether a retail refresh runs the Environment Reprovisioning Tool as its post step. */
  readonly autoReprovision: boolean;
  readonly databases: readonly DatabaseInfo[];
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A new environment as given by a person; URLs carry the secrets. */
export interface NewEnvironment extends EnvironmentFields {
  readonly databaseUrls: Readonly<Partial<Record<DatabaseRole, string>>>;
}

export interface HistoryEntry {
  readonly at: string;
  readonly event: string;
  readonly details: Record<string, unknown>;
}
