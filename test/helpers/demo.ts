import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { type EmbeddedServer, openEmbeddedServer } from '../../src/adapters/embedded/embedded-server.ts';
import { loadConfig } from '../../src/config/config.ts';
import { createPool } from '../../src/adapters/postgres/create-pool.ts';
import { tableChecksums } from '../../src/sample/generate-sample.ts';
import { type Runtime, openRuntime } from '../../src/app/runtime.ts';
import { cliEnv, runCli, type CliResult } from './cli.ts';
import { DEMO_SECRET_KEY, DEMO_TEMPLATE_VARIABLE, openDemoCopy } from './demo-template.ts';

export const SECRET_KEY = DEMO_SECRET_KEY;

/**
 * The demo project on its own embedded server in a fresh home, as `dataalm demo` makes it.
 * The server stays up for the test file, so CLI runs and direct checks share it. Under
 * `npm test` the demo is made once per run (scripts/run-tests.mjs) and each file gets a
 * copy of it (see demo-template.ts); run alone, a file makes its own.
 */
export interface Demo {
  readonly home: string;
  env(extra?: Record<string, string>): NodeJS.ProcessEnv;
  cli(args: string[], extra?: Record<string, string>): Promise<CliResult>;
  /** Superuser URL of a database of the demo server. */
  url(database: string): string;
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(database: string, sql: string, values?: unknown[]): Promise<R[]>;
  /** Per-table checksums of a database of the demo server (schema public). */
  checksums(database: string): Promise<Record<string, string>>;
  /** A runtime of this project in the test process (for secrets the CLI never shows). */
  runtime(): Promise<Runtime>;
  close(): Promise<void>;
}

export async function startDemo(prefix: string): Promise<Demo> {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), `dataalm-${prefix}-`));
  fs.chmodSync(parent, 0o755);
  const home = path.join(parent, 'home');
  const base = { DATAALM_HOME: home, DATAALM_SECRET_KEY: SECRET_KEY };
  const template = process.env[DEMO_TEMPLATE_VARIABLE];
  let server: EmbeddedServer | undefined;
  const runtimes: Runtime[] = [];
  const demo: Demo = {
    home,
    env: (extra = {}) => cliEnv({ ...base, ...extra }),
    cli: (args, extra = {}) => runCli(args, cliEnv({ ...base, ...extra })),
    url(database) {
      const url = new URL(server!.adminUrl);
      url.pathname = `/${database}`;
      return url.toString();
    },
    async query(database, sql, values = []) {
      const client = new pg.Client({ connectionString: demo.url(database) });
      await client.connect();
      try {
        return (await client.query(sql, values)).rows;
      } finally {
        await client.end();
      }
    },
    async checksums(database) {
      const pool = createPool(demo.url(database), 2);
      try {
        return await tableChecksums(pool);
      } finally {
        await pool.end();
      }
    },
    async runtime() {
      const runtime = await openRuntime(loadConfig({ ...base }, parent));
      runtimes.push(runtime);
      return runtime;
    },
    async close() {
      try {
        for (const runtime of runtimes) await runtime.close().catch(() => {});
        await server?.release();
      } finally {
        fs.rmSync(parent, { recursive: true, force: true });
      }
    },
  };
  try {
    if (template) {
      server = await openDemoCopy(template, home);
    } else {
      server = await openEmbeddedServer({ home });
      const created = await demo.cli(['demo']);
      if (created.code !== 0) throw new Error(`dataalm demo failed:\n${created.stderr}`);
    }
  } catch (error) {
    await demo.close();
    throw error;
  }
  return demo;
}

/**
 * A sandbox of contoso.com on the demo server, as a person adds one: its own two databases
 * owned by `owner` (a login role with CREATEDB the caller made), registered with release
 * 10.0.38, platform update 62 and reporting 10.0.38.3 unless `extra` flags say otherwise,
 * and filled with sample data.
 */
export async function addSandbox(demo: Demo, name: string, owner: { role: string; password: string }, extra: readonly string[] = []): Promise<void> {
  const url = (database: string) => {
    const u = new URL(demo.url(database));
    u.username = owner.role;
    u.password = owner.password;
    return u.toString();
  };
  const db = name.replace(/-/g, '_');
  await demo.query('postgres', `create database ${db}_app owner ${owner.role}`);
  await demo.query('postgres', `create database ${db}_reporting owner ${owner.role}`);
  const added = await demo.cli([
    'env', 'add', name, '--type', 'sandbox', '--tenant', 'contoso.com', '--admin', `admin@${name}.contoso.com`,
    '--app-db', url(`${db}_app`), '--reporting-db', url(`${db}_reporting`),
    '--release', '10.0.38', '--platform-update', '62', '--reporting-version', '10.0.38.3', ...extra,
  ]);
  if (added.code !== 0) throw new Error(`env add ${name} failed:\n${added.stderr}`);
  const loaded = await demo.cli(['sample', 'load', '--env', name, '--scale', '0.001']);
  if (loaded.code !== 0) throw new Error(`sample load ${name} failed:\n${loaded.stderr}`);
}
