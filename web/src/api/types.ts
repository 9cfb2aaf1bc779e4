/**
 * Shapes of the dataalm HTTP API, as the web UI reads them: the contract's types
 * (src/contract), imported as types only so no schema code reaches the bundle.
 */
export type {
  AccessPolicy,
  ApiToken,
  Asset,
  AssetDetails,
  AssetKind,
  AssetScript,
  AssetSets,
  AuditEntry,
  Credentials,
  DatabaseInfo,
  DatabaseRole,
  Environment,
  EnvironmentDetails,
  EnvironmentPackage,
  EnvironmentState,
  HistoryEntry,
  LogLine,
  MirrorRemoved,
  MirrorStatus,
  NewApiToken,
  NewNotificationSubscription,
  NotificationDelivery,
  NotificationSubscription,
  Operation,
  OperationError,
  OperationState,
  PendingAction,
  Progress,
  Reason,
  RefreshPreview,
  RefreshSource,
  Role,
  SessionInfo,
  SharedAsset,
  Step,
  StepStatus,
  VerificationReport,
  Versions,
} from '../../../src/contract/index.js';

/** The signed-in user (the session's), and a user as the users page lists them. */
export type { SessionUser as User, User as ManagedUser } from '../../../src/contract/index.js';
