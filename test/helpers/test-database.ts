import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Superuser URL of the test server (set by scripts/run-tests.mjs or by the person running the tests). */
export function testServerUrl(): string {
  const url = process.env.DATAALM_TEST_DATABASE_URL;
  if (!url) throw new Error('DATAALM_TEST_DATABASE_URL is not set: run the tests with `npm test`');
  return url;
}

export function urlFor(database: string, base = testServerUrl()): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  drop(): Promise<void>;
}

/** A fresh, uniquely named database on the test server, so test files can run in parallel. */
export async function createTestDatabase(prefix: string): Promise<TestDatabase> {
  const name = `t_${prefix.replace(/[^a-z0-9]/g, '_')}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`create database ${pg.escapeIdentifier(name)}`);
  return {
    name,
    url: urlFor(name),
    drop: () => dropDatabase(name),
  };
}

export async function dropDatabase(name: string): Promise<void> {
  await adminQuery(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`);
}

export async function adminQuery<R extends pg.QueryResultRow = pg.QueryResultRow>(
  text: string,
  values: unknown[] = [],
  url = testServerUrl(),
): Promise<pg.QueryResult<R>> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await client.query<R>(text, values);
  } finally {
    await client.end();
  }
}

/** Runs `sql` (one or more statements, no parameters) on the database at `url`. */
export async function runSql(url: string, sql: string): Promise<void> {
  await adminQuery(sql, [], url);
}

/** The rows of one query on the database at `url`. */
export async function queryRows(url: string, text: string): Promise<Record<string, unknown>[]> {
  return (await adminQuery(text, [], url)).rows;
}
