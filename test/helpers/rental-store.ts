import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import pg from 'pg';
import { ROOT } from './cli.ts';
import { type TestDatabase, createTestDatabase, dropDatabase } from './test-database.ts';

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

export interface RentalStoreFile {
  /** The loaded rental store (after the file's `before`). */
  readonly db: () => TestDatabase;
  /** Writes a profile file `name` (its `name:` and `version:` lines added) and returns its path. */
  profileFile(name: string, yaml: string): string;
  /** A copy's database name, dropped after the file. */
  copyName(label: string): string;
}

/** For one test file: the rental store loaded once, a folder for its profiles; both removed after it. */
export function useRentalStore(prefix: string): RentalStoreFile {
  let store: TestDatabase | undefined;
  let dir = '';
  const made: string[] = [];
  before(async () => {
    store = await createTestDatabase(prefix);
    await loadRentalStore(store.url);
    dir = fs.mkdtempSync(path.join(process.env.DATAALM_TEST_TMP ?? os.tmpdir(), `${prefix}-`));
  });
  after(async () => {
    await store?.drop();
    for (const name of made) await dropDatabase(name);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  return {
    db: () => store!,
    profileFile(name, yaml) {
      const file = path.join(dir, `${name}.yaml`);
      fs.writeFileSync(file, `name: ${name}\nversion: 1\n${yaml}`);
      return file;
    },
    copyName(label) {
      const name = `${store!.name}_${label}`;
      made.push(name);
      return name;
    },
  };
}
