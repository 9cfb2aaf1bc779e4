import { DataalmError } from '../../domain/errors/dataalm-error.js';

/** The parts of a PostgreSQL URL that may be shown to anyone. */
export interface ConnectionTarget {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
}

/** Parses and checks a postgres:// URL; `field` names the input in the error. */
export function parseConnectionUrl(url: string, field: string): ConnectionTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new DataalmError('INVALID_INPUT', `${field}: not a valid URL (expected postgresql://user:password@host:port/database)`, { field });
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new DataalmError('INVALID_INPUT', `${field}: must start with postgresql:// (got ${parsed.protocol}//)`, { field });
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (!parsed.hostname || !database || database.includes('/')) {
    throw new DataalmError('INVALID_INPUT', `${field}: must name a host and a database (postgresql://user:password@host:port/database)`, { field });
  }
  const port = parsed.port === '' ? 5432 : Number(parsed.port);
  return {
    host: parsed.hostname.replace(/^\[|\]$/g, ''),
    port,
    database,
    user: decodeURIComponent(parsed.username) || 'postgres',
  };
}

/** The same server and credentials, another database. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${encodeURIComponent(database)}`;
  return parsed.toString();
}

/** The same server, other credentials and database. */
export function withCredentials(url: string, user: string, password: string, database: string): string {
  const parsed = new URL(withDatabase(url, database));
  parsed.username = encodeURIComponent(user);
  parsed.password = encodeURIComponent(password);
  return parsed.toString();
}
