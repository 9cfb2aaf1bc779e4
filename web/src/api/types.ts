/** Shapes of the dataalm HTTP API, as the web UI reads them. */

export type Role = 'owner' | 'manager' | 'member';

export interface User {
  readonly name: string;
  readonly role: Role;
}

export interface SessionInfo {
  readonly user: User;
  readonly csrfToken: string;
}

export interface Reason {
  readonly code: string;
  readonly message: string;
  readonly remedy?: string;
}

export type EnvironmentState = 'deployed' | 'servicing' | 'offline' | 'failed';

export type DatabaseRole = 'application' | 'financialReporting';

export interface DatabaseInfo {
  readonly role: DatabaseRole;
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
}

export interface Environment {
  readonly name: string;
  readonly type: 'production' | 'sandbox';
  readonly tenant: string;
  readonly administrator: string;
  readonly applicationRelease: string;
  readonly platformUpdate: number;
  readonly financialReportingVersion: string;
  readonly retail: boolean;
  readonly profile: string;
  readonly documentStorage: string | null;
  readonly syncCommand: string | null;
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

export interface PendingAction {
  readonly code: string;
  readonly message: string;
  readonly remedy: string;
  readonly since: string;
  /** The operation that left it, if any. */
  readonly operation: number | null;
}

export interface HistoryEntry {
  readonly at: string;
  readonly event: string;
  readonly details: Readonly<Record<string, unknown>> | null;
}

export interface Versions {
  readonly applicationRelease: string;
  readonly platformUpdate: number;
  readonly financialReportingVersion: string;
  readonly components: readonly { readonly name: string; readonly version: string }[];
}

export interface EnvironmentDetails extends Environment {
  readonly history: readonly HistoryEntry[];
  readonly versions?: Versions;
  /** Self-service installer files in the environment's document storage. */
  readonly installers: readonly string[];
}

export interface Credentials {
  readonly application: string;
  readonly financialReporting?: string;
}

export interface RefreshSource {
  readonly name: string;
  readonly type: Environment['type'];
  readonly eligible: boolean;
  readonly reasons: readonly Reason[];
}

export interface NotCopied {
  readonly table: string;
  readonly action: string;
  readonly element: string;
}

export interface RefreshPreview {
  /** Missing when the request is refused before the target or its profile are known. */
  readonly administrator?: string;
  readonly profile?: string;
  readonly notCopied: readonly NotCopied[];
  readonly afterwards: readonly string[];
  readonly warnings: readonly string[];
  readonly notice: string;
  readonly estimate?: { readonly bytes: number; readonly seconds: number };
  readonly refused: boolean;
  readonly reasons: readonly Reason[];
}

export type OperationState = 'queued' | 'running' | 'succeeded' | 'failed' | 'canceled' | 'rolling-back' | 'rolled-back';
export type StepStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'canceled';

export interface Step {
  readonly position: number;
  readonly name: string;
  readonly status: StepStatus;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly attempts: number;
  /** What the step did (e.g. an apply's version changes); its shape depends on the step. */
  readonly counters?: Readonly<Record<string, unknown>>;
}

export interface VerificationCheck {
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

export interface OperationError {
  readonly code: string;
  readonly message: string;
  readonly remedy?: string;
  readonly step?: string;
}

export interface Operation {
  readonly id: number;
  readonly kind: 'refresh' | 'restore' | 'apply';
  readonly environment: string;
  readonly source: string | null;
  readonly restoresOperation: number | null;
  /** An apply's options hold package, packageName, packageKind and packageVersion. */
  readonly options: Readonly<Record<string, unknown>>;
  readonly state: OperationState;
  readonly requestedBy: string;
  readonly requestedAt: string;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly cancelRequested: boolean;
  readonly cutoverStartedAt: string | null;
  readonly cutoverAt: string | null;
  readonly offlineMs: number | null;
  readonly verification: VerificationReport | null;
  readonly error: OperationError | null;
  readonly steps: readonly Step[];
}

export interface LogLine {
  readonly at: string;
  readonly step: string | null;
  readonly level: 'info' | 'warning' | 'error';
  readonly message: string;
}

/** The data step's copy: `done` and `total` are bytes; `detail` is the table copied last. */
export interface Progress {
  readonly step: string;
  readonly done: number;
  readonly total: number;
  readonly rows: number;
  readonly tablesDone: number;
  readonly tablesTotal: number;
  readonly mbPerSecond: number;
  readonly etaSeconds: number | null;
  readonly detail: string | null;
}

export interface ManagedUser extends User {
  readonly createdAt: string;
}

export interface ApiToken {
  readonly id: number;
  readonly name: string;
  readonly user: string;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly revokedAt: string | null;
}

export interface NewApiToken {
  readonly id: number;
  readonly name: string;
  readonly token: string;
}

export interface AuditEntry {
  readonly id: number;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly target: string | null;
  readonly origin: string;
  readonly details: Readonly<Record<string, unknown>> | null;
}

export type AssetKind = 'binary' | 'financial-reporting' | 'retail' | 'reprovisioning-tool';

/** The versions a package sets when it is applied. */
export interface AssetSets {
  readonly applicationRelease?: string;
  readonly platformUpdate?: number;
  readonly financialReportingVersion?: string;
  readonly components?: Readonly<Record<string, string>>;
}

/** A deployable package of the project's asset library. */
export interface Asset {
  readonly id: number;
  readonly name: string;
  readonly kind: AssetKind;
  readonly version: string;
  readonly description: string | null;
  /** Application releases it applies to: "10.0.38", "10.0.*" or "*". */
  readonly appliesTo: readonly string[];
  readonly sets: AssetSets;
  /** Script names by database role. */
  readonly scripts: Readonly<Record<string, readonly string[]>>;
  readonly files: readonly { readonly path: string; readonly bytes: number; readonly sha256: string }[];
  /** The shared asset it was imported from, if any. */
  readonly shared: string | null;
  readonly importedBy: string;
  readonly importedAt: string;
}

/** One script of a package: its name and its SQL, as written ({{environment}} and the like are filled in when it runs). */
export interface AssetScript {
  readonly name: string;
  readonly sql: string;
}

/** A package with its scripts' SQL (GET /api/assets/:id, for owners and environment managers). */
export type AssetDetails = Omit<Asset, 'scripts'> & {
  /** Scripts by database role, in the order they run. */
  readonly scripts: Readonly<Partial<Record<string, readonly AssetScript[]>>>;
};

/** A shared asset that ships with dataalm, before it is imported: what it is, and the name to import it by. */
export type SharedAsset = Pick<Asset, 'name' | 'kind' | 'version' | 'description' | 'appliesTo' | 'sets'> & {
  /** The name to import it by. */
  readonly shared: string;
};

/** A package of the library as judged for one environment. */
export interface EnvironmentPackage {
  readonly asset: Asset;
  readonly applicable: boolean;
  readonly reasons: readonly Reason[];
}
