import pg from 'pg';

/**
 * A connection pool whose connections never crash the process. A connection the server
 * ends (shutdown, DROP DATABASE … WITH (FORCE)) emits 'error'; a running query already
 * rejects with it, so the event itself carries nothing more and is dropped. This also
 * covers connections that pool.end() has released but not yet closed.
 */
export function createPool(connectionString: string, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, connectionTimeoutMillis: 10_000 });
  pool.on('error', () => {});
  pool.on('connect', (client) => client.on('error', () => {}));
  return pool;
}
