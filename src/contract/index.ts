/**
 * The HTTP API's contract: the shape of every answer, once, as zod schemas. The server's
 * routes declare their answers with these schemas (and the OpenAPI document is made from
 * them), the CLI's --server mode reads answers with the inferred types, and the web UI
 * imports the types only (`import type`), so no zod reaches its bundle.
 *
 * This layer imports only zod and types of the domain.
 */
import type { Shape } from './shape.js';
import type * as accounts from './accounts.js';
import type * as assets from './assets.js';
import type * as common from './common.js';
import type * as environments from './environments.js';
import type * as mirrors from './mirrors.js';
import type * as notifications from './notifications.js';
import type * as operations from './operations.js';
import type * as schedules from './schedules.js';
import type * as recurring from './recurring-jobs.js';

export type { DeepReadonly, Shape } from './shape.js';
export * from './accounts.js';
export * from './assets.js';
export * from './common.js';
export * from './endpoints.js';
export * from './environments.js';
export * from './mirrors.js';
export * from './notifications.js';
export * from './operations.js';
export * from './profiles.js';
export * from './schedules.js';
export * from './recurring-jobs.js';

export type Reason = Shape<typeof common.reason>;
export type ErrorAnswer = Shape<typeof common.errorAnswer>;
export type RefusedAnswer = Shape<typeof common.refusedAnswer>;

export type User = Shape<typeof accounts.user>;
export type SessionInfo = Shape<typeof accounts.session>;
/** The signed-in user, as the session names them. */
export type SessionUser = SessionInfo['user'];
export type ApiToken = Shape<typeof accounts.apiToken>;
export type NewApiToken = Shape<typeof accounts.newApiToken>;
export type AuditEntry = Shape<typeof accounts.auditEntry>;
export type Role = User['role'];

export type Environment = Shape<typeof environments.environment>;
export type EnvironmentState = Environment['state'];
export type DatabaseInfo = Shape<typeof environments.databaseInfo>;
export type DatabaseRole = DatabaseInfo['role'];
export type PendingAction = Shape<typeof environments.pendingAction>;
export type HistoryEntry = Shape<typeof environments.historyEntry>;
export type Versions = Shape<typeof environments.versions>;
export type EnvironmentDetails = Shape<typeof environments.environmentDetails>;
export type Credentials = Shape<typeof environments.credentials>;
export type Breadcrumb = Shape<typeof environments.breadcrumb>;
export type RefreshSource = Shape<typeof environments.refreshSource>;
export type RefreshPreview = Shape<typeof environments.refreshPreview>;
export type AccessPolicy = Shape<typeof environments.accessPolicy>;
export type MirrorStatus = Shape<typeof mirrors.mirrorStatus>;
export type MirrorSpareStatus = Shape<typeof mirrors.mirrorSpareStatus>;
export type MirrorRemoved = Shape<typeof mirrors.mirrorRemoved>;
export type RecurringJobs = Shape<typeof recurring.recurringJobs>;
export type RecurringJobsStopped = Shape<typeof recurring.recurringJobsStopped>;
export type NotificationSubscription = Shape<typeof notifications.notificationSubscription>;
export type NewNotificationSubscription = Shape<typeof notifications.newNotificationSubscription>;
export type NotificationDelivery = Shape<typeof notifications.notificationDelivery>;

export type Operation = Shape<typeof operations.operation>;
export type OperationState = Operation['state'];
export type Step = Shape<typeof operations.step>;
export type StepStatus = Step['status'];
export type VerificationReport = Shape<typeof operations.verificationReport>;
export type OperationError = Shape<typeof operations.operationError>;
export type Queued = Shape<typeof operations.queued>;
export type LogLine = Shape<typeof operations.logLine>;
export type Progress = Shape<typeof operations.progress>;

export type Asset = Shape<typeof assets.asset>;
export type AssetKind = Asset['kind'];
export type AssetSets = Shape<typeof assets.assetSets>;
export type AssetScript = Shape<typeof assets.assetScript>;
export type AssetDetails = Shape<typeof assets.assetDetails>;
export type SharedAsset = Shape<typeof assets.sharedAsset>;
export type EnvironmentPackage = Shape<typeof assets.environmentPackage>;
export type ScaleUnitRecord = Shape<typeof assets.scaleUnitRecord>;

export type Schedule = Shape<typeof schedules.schedule>;
export type ScheduleRun = Shape<typeof schedules.scheduleRun>;
export type ScheduleOutcome = ScheduleRun['outcome'];
