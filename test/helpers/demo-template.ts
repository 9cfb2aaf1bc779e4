import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { type EmbeddedServer, openEmbeddedServer } from '../../src/adapters/embedded/embedded-server.ts';
import { SecretBox } from '../../src/adapters/secrets/secret-box.ts';
import { cliEnv, runCli } from './cli.ts';
import { freePort } from './service.ts';

/**
 * The demo project is made once per test run, in a template home whose server is then
 * stopped; each test file gets a copy of that home (data folder included, a plain file
 * copy) and starts its own server on it, on a port of its own. A copy is a few hundred
 * megabytes of files and one server start, instead of a server initialisation and the
 * sample data generation per file.
 *
 * What names the template's place has to follow the copy: the cluster's port (in its
 * postgresql.conf), the environments' connection URLs (in the control database, sealed with
 * the secret key, and their host/port columns) and the document storage folders (under the
 * home). Everything else (databases, roles, passwords) is the same in every copy.
 */

/** Names the template home; set by scripts/run-tests.mjs for the test files. */
export const DEMO_TEMPLATE_VARIABLE = 'DATAALM_TEST_DEMO_TEMPLATE';

/** The secret key of every demo home of the tests. */
export const DEMO_SECRET_KEY = 'refresh-tests-installation-key';

/** Makes the demo project in `home` with `dataalm demo`; its server is stopped when it returns. */
export async function buildDemoTemplate(home: string): Promise<void> {
  fs.mkdirSync(path.dirname(home), { recursive: true });
  const created = await runCli(['demo'], cliEnv({ DATAALM_HOME: home, DATAALM_SECRET_KEY: DEMO_SECRET_KEY }), 600_000);
  if (created.code !== 0) throw new Error(`dataalm demo failed:\n${created.stderr}`);
  // The command was the server's only user, so it stopped it: a running one cannot be copied.
  if (fs.existsSync(path.join(home, 'pg', 'data', 'postmaster.pid'))) {
    throw new Error(`the demo template's server in ${home} is still running after dataalm demo`);
  }
}

/** Copies the template home to `home` and starts the copy's own server on a free port. */
export async function openDemoCopy(template: string, home: string): Promise<EmbeddedServer> {
  const copied = spawnSync('cp', ['-a', template, home], { encoding: 'utf8' });
  if (copied.status !== 0) throw new Error(`cannot copy the demo template ${template}: ${copied.stderr || copied.error?.message}`);
  fs.rmSync(path.join(home, 'embedded.json'), { force: true });
  fs.rmSync(path.join(home, 'postgresql.log'), { force: true });
  const conf = path.join(home, 'pg', 'data', 'postgresql.conf');
  // Another file may take the free port before this server binds it: then try another one.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    fs.appendFileSync(conf, `port = ${port}\n`);
    try {
      const server = await openEmbeddedServer({ home });
      try {
        await retarget(server, template, home);
      } catch (error) {
        await server.release();
        throw error;
      }
      return server;
    } catch (error) {
      if (attempt >= 3 || !/already in use/i.test((error as Error).message)) throw error;
    }
  }
}

/** Points the copy's environments at its own server and document storage. */
async function retarget(server: EmbeddedServer, template: string, home: string): Promise<void> {
  const secrets = SecretBox.load(DEMO_SECRET_KEY, home);
  const url = new URL(server.adminUrl);
  url.pathname = '/dataalm';
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    await client.query('begin');
    const databases = await client.query<{ id: string; name: string; role: string; secret: Buffer }>(
      `select d.environment_id as id, e.name, d.role, d.secret
         from dataalm.environment_databases d join dataalm.environments e on e.id = d.environment_id`,
    );
    for (const row of databases.rows) {
      // The context a URL is sealed with (environment-store.ts): its environment and role.
      const context = `environment:${row.name}:${row.role}`;
      const moved = new URL(secrets.open(row.secret, context));
      if (moved.hostname === '127.0.0.1') moved.port = String(server.port);
      await client.query('update dataalm.environment_databases set port = $3, secret = $4 where environment_id = $1 and role = $2', [
        row.id,
        row.role,
        Number(moved.port),
        secrets.seal(moved.toString(), context),
      ]);
    }
    await client.query(
      `update dataalm.environments set document_storage = $2 || substr(document_storage, length($1) + 1)
        where starts_with(document_storage, $1 || '/')`,
      [template, home],
    );
    await client.query('commit');
  } finally {
    await client.end();
  }
}

// As a script (scripts/run-tests.mjs): node --import tsx test/helpers/demo-template.ts <home>
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const home = process.argv[2];
  if (!home) throw new Error('usage: demo-template.ts <template home>');
  await buildDemoTemplate(path.resolve(home));
}
