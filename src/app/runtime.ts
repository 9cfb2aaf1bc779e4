import type { Config } from '../config/config.js';
import { DataalmError } from '../domain/errors/dataalm-error.js';
import { type EmbeddedServer, openEmbeddedServer } from '../adapters/embedded/embedded-server.js';
import { parseConnectionUrl, withDatabase } from '../adapters/postgres/connection-url.js';
import { createPool } from '../adapters/postgres/create-pool.js';
import { unreachable } from '../adapters/postgres/database-probe.js';
import { SecretBox } from '../adapters/secrets/secret-box.js';
import { AssetStore } from '../adapters/store/asset-store.js';
import { AccountStore } from '../adapters/store/account-store.js';
import { AccessPolicyStore } from '../adapters/store/access-policy-store.js';
import { MirrorStore } from '../adapters/store/mirror-store.js';
import { ScheduleStore } from '../adapters/store/schedule-store.js';
import { NotificationStore } from '../adapters/store/notification-store.js';
import { JobQueue } from '../adapters/queue/job-queue.js';
import { WorkerStore } from '../adapters/store/worker-store.js';
import { EnvironmentStore } from '../adapters/store/environment-store.js';
import { OperationStore } from '../adapters/store/operation-store.js';
import { migrate } from '../adapters/store/migrate.js';
import { Settings } from '../adapters/store/settings.js';
import { pgServers } from '../adapters/postgres/database-servers.js';
import type { DatabaseServers, Queryable } from '../ports/database-server.js';
import { openSession } from '../adapters/postgres/database-servers.js';
import { quoteIdent } from '../adapters/postgres/sql-text.js';

/** Name of the control database on the embedded server. */
export const CONTROL_DATABASE = 'dataalm';

/** Everything a command or the service needs, opened once and closed once. */
export interface Runtime {
  readonly config: Config;
  /** The control database (what the stores share), for the few reads of its own a use case makes. */
  readonly pool: Queryable;
  readonly environments: EnvironmentStore;
  readonly operations: OperationStore;
  /** The asset library: deployable packages. */
  readonly assets: AssetStore;
  readonly accounts: AccountStore;
  readonly workers: WorkerStore;
  /** Post-refresh access policies of environments. */
  readonly accessPolicies: AccessPolicyStore;
  /** Mirrors of sandboxes (DESIGN §8). */
  readonly mirrors: MirrorStore;
  /** Scheduled refreshes and the log of their runs. */
  readonly schedules: ScheduleStore;
  /** Notification subscriptions and their delivery log. */
  readonly notifications: NotificationStore;
  /** Where operations are queued for workers. */
  readonly queue: JobQueue;
  /** The control database's URL (with its password: never shown). */
  readonly controlUrl: string;
  readonly settings: Settings;
  readonly secrets: SecretBox;
  /** A URL with the right to create databases and roles (the embedded superuser, or the control URL). */
  readonly serverUrl: string;
  /** Sessions on the servers environments point at (create, drop, swap, query). */
  readonly servers: DatabaseServers;
  /** The embedded server, when dataalm runs on its embedded default. */
  readonly embedded: EmbeddedServer | undefined;
  close(): Promise<void>;
  /**
   * For an interrupted command: stops the embedded server first (a fast shutdown ends the
   * running statements, which roll back), then releases the pool, so nothing waits on work
   * that will never finish and no server is left behind.
   */
  abort(): Promise<void>;
}

export interface RuntimeOptions {
  /**
   * A long-running process (the service, a worker) keeps its embedded server up: restarted
   * when it stops unexpectedly, with what happens written here. (Default: not supervised.)
   */
  readonly superviseServer?: (line: string) => void;
}

export async function openRuntime(config: Config, options: RuntimeOptions = {}): Promise<Runtime> {
  let embedded: EmbeddedServer | undefined;
  let controlUrl: string;
  let serverUrl: string;
  if (config.databaseUrl !== undefined) {
    controlUrl = config.databaseUrl;
    serverUrl = config.databaseUrl;
  } else {
    embedded = await openEmbeddedServer({
      home: config.home,
      port: config.embeddedPort,
      osUser: config.embeddedUser,
      supervise: options.superviseServer,
    });
    serverUrl = embedded.adminUrl;
    controlUrl = withDatabase(embedded.adminUrl, CONTROL_DATABASE);
  }
  try {
    if (embedded) await ensureDatabase(embedded.adminUrl, CONTROL_DATABASE);
    const pool = createPool(controlUrl, 6);
    try {
      await migrate(pool);
    } catch (cause) {
      await pool.end();
      if ((cause as { code?: string }).code === undefined) throw cause;
      throw unreachable(parseConnectionUrl(controlUrl, 'DATAALM_DATABASE_URL'), 'DATAALM_DATABASE_URL', cause);
    }
    const settings = new Settings(pool);
    const queue = new JobQueue(controlUrl);
    const secrets = SecretBox.load(config.secretKey, config.home);
    await checkSecretKey(settings, secrets);
    return {
      config,
      pool,
      settings,
      environments: new EnvironmentStore(pool, secrets),
      assets: new AssetStore(pool),
      operations: new OperationStore(pool),
      accounts: new AccountStore(pool),
      workers: new WorkerStore(pool),
      accessPolicies: new AccessPolicyStore(pool),
      mirrors: new MirrorStore(pool),
      schedules: new ScheduleStore(pool),
      notifications: new NotificationStore(pool, secrets),
      queue,
      controlUrl,
      secrets,
      serverUrl,
      servers: pgServers,
      embedded,
      async close() {
        try {
          await queue.close();
          await pool.end();
        } finally {
          await embedded?.release();
        }
      },
      async abort() {
        void queue.close();
        await embedded?.release();
        await Promise.race([pool.end(), new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
      },
    };
  } catch (error) {
    await embedded?.release();
    throw error;
  }
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = await openSession(adminUrl, 'dataalm');
  try {
    const exists = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (exists.rowCount === 0) {
      await client.query(`create database ${quoteIdent(database)}`).catch((error: { code?: string }) => {
        if (error.code !== '42P04') throw error; // created meanwhile by another process
      });
      // The control database holds the project's sealed secrets: only its owner connects.
      await client.query(`revoke connect, temporary on database ${quoteIdent(database)} from public`);
    }
  } finally {
    await client.end();
  }
}

/**
 * Secrets sealed with one key cannot be opened with another. Remember which key the
 * project uses and refuse a different one at once, instead of failing later per secret.
 */
async function checkSecretKey(settings: Settings, secrets: SecretBox): Promise<void> {
  const fingerprint = secrets.fingerprint();
  const stored = await settings.setIfAbsent('secretKeyFingerprint', fingerprint);
  if (stored !== fingerprint) {
    throw new DataalmError('SECRET_KEY_MISMATCH', 'the secret key differs from the one this project was created with', {
      remedy: 'set DATAALM_SECRET_KEY (or $DATAALM_HOME/secret.key) to the key the project was created with',
    });
  }
}
