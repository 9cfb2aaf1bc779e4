/**
 * The ports the application owns: what it needs of a PostgreSQL server, and nothing of the
 * driver (STYLE §3.9: kysely's `PostgresPool`, "the subset of pg's Pool that kysely needs").
 * The adapters in src/adapters/postgres implement them with node-postgres.
 */

/** One session on one database: statements in order, then `end`. */
export interface SqlSession {
  query<R extends Record<string, unknown> = Record<string, unknown>>(sql: string, values?: readonly unknown[]): Promise<{ rows: R[]; rowCount: number | null }>;
  /** Runs a script of one or more statements; returns each statement's row count (null for DDL). */
  script(sql: string): Promise<(number | null)[]>;
  /** Lines the server sends as NOTICE while statements run (e.g. RAISE NOTICE in a script). */
  onNotice(listener: (message: string) => void): void;
  end(): Promise<void>;
}

/** Anything that runs a statement: a session, or a connection the copy engine lends. */
export type Queryable = Pick<SqlSession, 'query'>;

/** A swap of one live database for its replacement (see DatabaseServer.swap). */
export interface Swap {
  /** The database clients use now; renamed to `parkAs`. */
  readonly live: string;
  readonly parkAs: string;
  /** Renamed to `live`. */
  readonly replacement: string;
}

export interface SwapResult {
  /** From blocking new connections to the live databases to opening the swapped-in ones. */
  readonly offlineMs: number;
  readonly terminatedSessions: number;
}

/**
 * A session on a server's maintenance database, where databases are created, renamed and
 * dropped (one cannot rename the database one is in): the target server of a refresh.
 */
export interface DatabaseServer {
  exists(database: string): Promise<boolean>;
  /** Drops a database, ending its sessions first; false when there was none. */
  drop(database: string): Promise<boolean>;
  /** Lets sessions into a database again; a database that is gone needs nothing. */
  reopen(database: string): Promise<void>;
  /**
   * Gives `to` the database-level properties of `from` that belong to the environment
   * (owner, grants, comment, settings, role settings); returns what it could not carry.
   */
  copyAttributes(from: string, to: string): Promise<string[]>;
  /**
   * The cutover on this server: every swap in one transaction, with the offline window
   * measured. `between` is called between the two renames and between swaps (fault tests).
   */
  swap(swaps: readonly Swap[], between?: (moment: 'renames' | 'databases') => void): Promise<SwapResult>;
  end(): Promise<void>;
}

/** Opens sessions on the servers environments point at. `field` names the URL in messages. */
export interface DatabaseServers {
  server(url: string, field: string): Promise<DatabaseServer>;
  /** Runs `work` on a maintenance session of the server of `url`, and closes it. */
  onServer<T>(url: string, field: string, work: (server: DatabaseServer) => Promise<T>): Promise<T>;
  session(url: string, applicationName: string): Promise<SqlSession>;
}
