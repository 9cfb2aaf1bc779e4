import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { ROOT } from './cli.ts';

/** The film-rental store of test/fixtures/rental-store.sql: an application dataalm has no built-in rules for. */
export const RENTAL_STORE_SQL = path.join(ROOT, 'test', 'fixtures', 'rental-store.sql');

/** Loads the rental store into an empty database. */
export async function loadRentalStore(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(fs.readFileSync(RENTAL_STORE_SQL, 'utf8'));
  } finally {
    await client.end();
  }
}
