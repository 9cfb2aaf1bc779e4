import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before } from 'node:test';
import pg from 'pg';
import type { Operation } from '../../src/domain/operation.ts';
import type { MirrorStatus } from '../../src/contract/index.ts';
import { type CliResult, cliEnv, runCli } from './cli.ts';
import { loadRentalStore } from './rental-store.ts';
import { type TestDatabase, adminQuery, createTestDatabase, dropDatabase, urlFor } from './test-database.ts';

/** The source's table without a primary key or replica identity: a mirror must not publish it. */
export const NO_KEY_TABLE_SQL = `
  create table rental_note (rental_id integer not null references rental, note text not null, noted_at timestamptz not null default now());
  insert into rental_note (rental_id, note) select 100 + i, 'note ' || i from generate_series(1, 30) i;`;

/**
 * A profile its users wrote for the rental store: names, e-mail addresses, streets and
 * phones masked; a log cleared; the migrations' key masked (a replica identity the mirror
 * cannot find rows by).
 */
export const MIRROR_PROFILE = [
  'rules:',
  '  - action: mask',
  '    table: customer',
  '    columns:',
  '      first_name: { transformer: first-name }',
  '      last_name: { transformer: last-name }',
  '      email: { transformer: email }',
  '  - action: mask',
  '    table: staff',
  '    columns:',
  '      email: { transformer: email }',
  '      password: { transformer: hash }',
  '  - action: mask',
  '    table: address',
  '    columns:',
  '      address: { transformer: street }',
  '      phone: { transformer: phone }',
  '  - action: mask',
  '    table: schema_migrations',
  '    columns:',
  '      version: { transformer: hash }',
  '  - action: clear',
  '    table: staff_login_history',
];

export interface MirrorProject {
  readonly prod: () => TestDatabase;
  /** The sandboxes' databases, by environment name. */
  readonly sandbox: (name: string) => TestDatabase;
  readonly env: () => NodeJS.ProcessEnv;
  readonly dir: () => string;
  cli(args: string[]): Promise<CliResult>;
  /** Rewrites the profile file every environment is registered with. */
  writeProfile(lines: readonly string[]): void;
  readonly profilePath: () => string;
  /** Registers an environment (again) on one of the project's databases. */
  addEnvironment(name: string, type: 'production' | 'sandbox', db: TestDatabase): Promise<void>;
  /** `env mirror status NAME --json`, which must succeed. */
  status(name: string): Promise<MirrorStatus>;
  /** `refresh --yes --json` of `target` from store-prod: its operation. */
  refresh(target: string): Promise<{ result: CliResult; operation: Operation }>;
  /** The mirrors' replication slots and publications on the source's server. */
  sourceObjects(): Promise<{ slots: string[]; publications: string[] }>;
  /** Databases on the test server whose names start with `prefix`. */
  databasesLike(prefix: string): Promise<string[]>;
}

/**
 * For one test file: a project (its own control database and home) with a production
 * rental store `store-prod` (plus a table without a primary key) and sandboxes (rental
 * stores too), all registered with one profile file; everything removed after the file,
 * mirrors' subscriptions and slots first (a database with a slot cannot be dropped).
 */
export function useMirrorProject(prefix: string, sandboxes: readonly string[]): MirrorProject {
  let control: TestDatabase;
  let prod: TestDatabase;
  const boxes = new Map<string, TestDatabase>();
  let dir = '';
  let env: NodeJS.ProcessEnv;
  let profile = '';
  const cli = (args: string[]) => runCli(args, env, 180_000);
  const writeProfile = (lines: readonly string[]) => fs.writeFileSync(profile, ['name: rental-store', 'version: 1', ...lines, ''].join('\n'));
  const databasesLike = async (start: string) =>
    (await adminQuery<{ datname: string }>('select datname from pg_database where starts_with(datname, $1) order by 1', [start])).rows.map((r) => r.datname);
  const addEnvironment = async (name: string, type: 'production' | 'sandbox', db: TestDatabase) => {
    const added = await cli([
      'env', 'add', name, '--type', type, '--tenant', 'rentalstore.example', '--admin', 'mike@rentalstore.example', '--app-db', db.url,
      '--release', '1.0.0', '--platform-update', '62', '--reporting-version', '1.0.0.0', '--profile', profile,
    ]);
    assert.equal(added.code, 0, added.stderr);
  };

  before(async () => {
    const made = await Promise.all([createTestDatabase(`${prefix}_control`), createTestDatabase(`${prefix}_prod`), ...sandboxes.map(() => createTestDatabase(`${prefix}_box`))]);
    [control, prod] = made as [TestDatabase, TestDatabase];
    sandboxes.forEach((name, i) => boxes.set(name, made[i + 2]!));
    await Promise.all([prod, ...boxes.values()].map((db) => loadRentalStore(db.url)));
    await adminQuery(NO_KEY_TABLE_SQL, [], prod.url);
    dir = fs.mkdtempSync(path.join(process.env.DATAALM_TEST_TMP ?? '/tmp', `${prefix}-`));
    profile = path.join(dir, 'rental-store.yaml');
    writeProfile(MIRROR_PROFILE);
    env = cliEnv({ DATAALM_HOME: path.join(dir, 'home'), DATAALM_DATABASE_URL: control.url, DATAALM_SECRET_KEY: `${prefix}-installation-key` });
    await addEnvironment('store-prod', 'production', prod);
    for (const [name, db] of boxes) await addEnvironment(name, 'sandbox', db);
  });

  after(async () => {
    // Subscriptions (detached from their slots) and slots first: they hold databases.
    for (const db of boxes.values()) {
      for (const name of await databasesLike(`${db.name}__mirror`)) await dropSubscriptions(urlFor(name));
    }
    if (prod) {
      await adminQuery(`select pg_drop_replication_slot(slot_name) from pg_replication_slots where database = $1`, [prod.name]).catch(() => {});
    }
    for (const db of boxes.values()) for (const name of await databasesLike(db.name)) await dropDatabase(name);
    for (const db of [prod, control]) if (db) await db.drop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  return {
    prod: () => prod,
    sandbox: (name) => boxes.get(name)!,
    env: () => env,
    dir: () => dir,
    cli,
    writeProfile,
    profilePath: () => profile,
    addEnvironment,
    async status(name) {
      const shown = await cli(['env', 'mirror', 'status', name, '--json']);
      assert.equal(shown.code, 0, shown.stdout + shown.stderr);
      return JSON.parse(shown.stdout) as MirrorStatus;
    },
    async refresh(target) {
      const result = await cli(['refresh', '--source', 'store-prod', '--target', target, '--jobs', '2', '--json', '--yes']);
      let operation: Operation;
      try {
        operation = JSON.parse(result.stdout) as Operation;
      } catch {
        throw new Error(`refresh printed no operation (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
      }
      return { result, operation };
    },
    async sourceObjects() {
      const slots = await adminQuery<{ n: string }>(`select slot_name as n from pg_replication_slots where database = $1 order by 1`, [prod.name]);
      const publications = await adminQuery<{ n: string }>('select pubname as n from pg_publication order by 1', [], prod.url);
      return { slots: slots.rows.map((r) => r.n), publications: publications.rows.map((r) => r.n) };
    },
    databasesLike,
  };
}

/** Drops a database's subscriptions without touching their slots (the slots are dropped on the source). */
async function dropSubscriptions(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect().catch(() => undefined);
  try {
    const subs = await client.query<{ subname: string }>('select subname from pg_subscription where subdbid = (select oid from pg_database where datname = current_database())');
    for (const { subname } of subs.rows) {
      const name = pg.escapeIdentifier(subname);
      await client.query(`alter subscription ${name} disable`);
      await client.query(`alter subscription ${name} set (slot_name = none)`);
      await client.query(`drop subscription ${name}`);
    }
  } catch {
    // Nothing to drop, or the database is gone: the slots are dropped on the source below.
  } finally {
    await client.end().catch(() => {});
  }
}

/** The data step's counters of a refresh. */
export function dataCounters(operation: Operation): Record<string, unknown> {
  return operation.steps.find((s) => s.name === 'data')?.counters ?? {};
}
