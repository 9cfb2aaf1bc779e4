import pg from 'pg';
import type { DatabaseServer, DatabaseServers, SqlSession } from '../../ports/database-server.js';
import { connectMaintenance, copyDatabaseAttributes, databaseExists, dropDatabaseIfExists, reopenDatabase, swapDatabases } from './database-admin.js';

/** The DatabaseServers port on node-postgres. */
export const pgServers: DatabaseServers = {
  async server(url, field) {
    return maintenance(await connectMaintenance(url, field));
  },
  async onServer(url, field, work) {
    const server = await pgServers.server(url, field);
    try {
      return await work(server);
    } finally {
      await server.end().catch(() => {});
    }
  },
  session: (url, applicationName) => openSession(url, applicationName),
};

function maintenance(client: pg.Client): DatabaseServer {
  return {
    exists: (database) => databaseExists(client, database),
    drop: (database) => dropDatabaseIfExists(client, database),
    reopen: (database) => reopenDatabase(client, database),
    copyAttributes: (from, to) => copyDatabaseAttributes(client, from, to),
    swap: (swaps, between) => swapDatabases(client, swaps, between),
    end: () => client.end(),
  };
}

/** A session on the database of `url`; a connection the server ends never crashes the process. */
export async function openSession(
  url: string,
  applicationName: string,
  timeouts: { readonly connectMs?: number; readonly queryMs?: number } = {},
): Promise<SqlSession> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: timeouts.connectMs ?? 10_000,
    application_name: applicationName,
    ...(timeouts.queryMs === undefined ? {} : { query_timeout: timeouts.queryMs }),
  });
  client.on('error', () => {});
  await client.connect();
  return {
    query: async (sql, values) => {
      const result = await client.query(sql, values as unknown[] | undefined);
      return { rows: result.rows, rowCount: result.rowCount };
    },
    script: async (sql) => {
      const results = (await client.query(sql)) as pg.QueryResult | pg.QueryResult[];
      return (Array.isArray(results) ? results : [results]).map((r) => r.rowCount);
    },
    onNotice: (listener) => client.on('notice', (notice) => listener(notice.message ?? '')),
    end: () => client.end(),
  };
}
