import pg from 'pg';
import { DataalmError } from '../../domain/errors/dataalm-error.js';
import { type ConnectionTarget, parseConnectionUrl } from './connection-url.js';

/** SQLSTATEs and socket errors that mean "you cannot use this database", by cause. */
const REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused (is the server running and listening on that port?)',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name could not be resolved',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  '28P01': 'password authentication failed',
  '28000': 'the server refused this user',
  '3D000': 'the database does not exist',
  '57P03': 'the server is starting up or shutting down',
};

/**
 * Connects once to prove a database is usable, then disconnects. The error names the field
 * and the reason, never the password.
 */
export async function probeDatabase(url: string, field: string, timeoutMs = 5000): Promise<ConnectionTarget> {
  const target = parseConnectionUrl(url, field);
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.query('select 1');
    return target;
  } catch (cause) {
    throw unreachable(target, field, cause);
  } finally {
    await client.end().catch(() => {});
  }
}

export function unreachable(target: ConnectionTarget, field: string, cause: unknown): DataalmError {
  const code = (cause as { code?: string }).code ?? '';
  const message = (cause as { message?: string }).message ?? '';
  // node-postgres reports its own connect timeout without a code.
  const reason = REASONS[code] ?? (code === '' && /timeout/i.test(message) ? 'connection timed out' : message.split('\n')[0]);
  return new DataalmError(
    'UNREACHABLE_DATABASE',
    `${field}: cannot connect to database "${target.database}" on ${target.host}:${target.port} as "${target.user}": ${reason}`,
    { field, cause },
  );
}
