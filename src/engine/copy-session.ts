import pg from 'pg';

/**
 * A connection for copy work. A copy runs long statements and holds its snapshot in an
 * idle transaction for minutes, so the server's (or role's) statement and idle-transaction
 * timeouts are turned off for these sessions only: a production default of, say, 60 s
 * must not kill a copy half-way.
 */
export async function connectCopySession(url: string, purpose: string): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: url,
    application_name: `dataalm copy: ${purpose}`,
    connectionTimeoutMillis: 10_000,
    // row_security=off: a policy must never hide rows from a copy silently; a role that
    // cannot bypass row-level security gets an error instead, as pg_dump does.
    options: '-c statement_timeout=0 -c idle_in_transaction_session_timeout=0 -c row_security=off',
  });
  client.on('error', () => {}); // a failing statement rejects; the event adds nothing
  await client.connect();
  return client;
}
