import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { createPool } from '../src/adapters/postgres/create-pool.ts';
import { openEmbeddedServer } from '../src/adapters/embedded/embedded-server.ts';
import { ENVIRONMENT_SPECIFIC_TABLES, tableChecksums } from '../src/sample/generate-sample.ts';
import { signIn } from './helpers/http-client.ts';
import { BIN, ROOT, cliEnv, runCli } from './helpers/cli.ts';
import { type TestDatabase, createTestDatabase, queryRows } from './helpers/test-database.ts';
import { waitFor } from './helpers/wait.ts';

// `dataalm start` on the embedded default, as a newcomer runs it: a fresh home, no
// PostgreSQL of its own, the demo created on first start.
let parent: string;
let home: string;

async function freePort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

interface Service {
  readonly child: ChildProcess;
  readonly port: number;
  output(): string;
  stop(): Promise<number | null>;
}

async function startService(env: NodeJS.ProcessEnv): Promise<Service> {
  const port = await freePort();
  const child = spawn(process.execPath, [BIN, 'start'], { cwd: ROOT, env: { ...env, DATAALM_PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await waitFor('/healthz of dataalm start', async () => {
      if (child.exitCode !== null) throw new Error(`dataalm start exited early:\n${output}`);
      return fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
    }, { intervalMs: 200 });
  } catch (error) {
    if (child.exitCode === null) child.kill('SIGKILL');
    await exited;
    throw new Error(`${(error as Error).message}\n${output}`);
  }
  return {
    child,
    port,
    output: () => output,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

function postmasterPid(): number | undefined {
  try {
    return Number(fs.readFileSync(path.join(home, 'pg', 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return undefined;
  }
}

function alive(pid: number | undefined): boolean {
  if (pid === undefined) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function adminUrl(database: string): string {
  const url = new URL((JSON.parse(fs.readFileSync(path.join(home, 'embedded.json'), 'utf8')) as { adminUrl: string }).adminUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Keeps the embedded server up for checks that talk to the environments' databases directly. */
async function withServer<T>(work: () => Promise<T>): Promise<T> {
  const server = await openEmbeddedServer({ home });
  try {
    return await work();
  } finally {
    await server.release();
  }
}

async function checksums(database: string): Promise<Record<string, string>> {
  const pool = createPool(adminUrl(database), 2);
  try {
    return await tableChecksums(pool);
  } finally {
    await pool.end();
  }
}

before(() => {
  parent = fs.mkdtempSync(path.join(os.tmpdir(), 'dataalm-start-'));
  fs.chmodSync(parent, 0o755);
  home = path.join(parent, 'home');
});

after(async () => {
  const pid = postmasterPid();
  try {
    if (alive(pid)) {
      process.kill(pid!, 'SIGINT');
      await waitFor('the embedded server to stop', () => !alive(pid));
    }
  } finally {
    fs.rmSync(parent, { recursive: true, force: true });
  }
});

describe('dataalm start on the embedded default', () => {
  const env = () => cliEnv({ DATAALM_HOME: home, DATAALM_DEMO_SCALE: '0.001' });
  let firstCreatedAt: Record<string, string>;

  test('first start: /healthz answers, the demo has four environments with their versions', async () => {
    const service = await startService(env());
    try {
      const health = (await (await fetch(`http://127.0.0.1:${service.port}/healthz`)).json()) as Record<string, unknown>;
      assert.deepEqual(health, { status: 'ok', controlDatabase: 'ok', embedded: true });
      assert.match(service.output(), new RegExp(`dataalm is running at http://127\\.0\\.0\\.1:${service.port}/`));

      // The CLI uses the running server while the service runs.
      const list = await runCli(['env', 'list', '--json'], env());
      assert.equal(list.code, 0, list.stderr);
      const versions = (JSON.parse(list.stdout) as Record<string, unknown>[]).map((e) => [
        e.name, e.type, e.tenant, e.applicationRelease, e.platformUpdate, e.financialReportingVersion,
      ]);
      assert.deepEqual(versions, [
        ['contoso-prod', 'production', 'contoso.com', '10.0.38', 62, '10.0.38.3'],
        ['contoso-test', 'sandbox', 'contoso.com', '10.0.37', 61, '10.0.37.2'],
        ['contoso-uat', 'sandbox', 'contoso.com', '10.0.38', 62, '10.0.38.3'],
        ['fabrikam-uat', 'sandbox', 'fabrikam.com', '10.0.38', 62, '10.0.38.3'],
      ]);
      firstCreatedAt = Object.fromEntries((JSON.parse(list.stdout) as { name: string; createdAt: string }[]).map((e) => [e.name, e.createdAt]));
      assert.ok(alive(postmasterPid()), 'the service keeps its server running after the CLI command');

      // The first start made the project owner and printed its generated password, once.
      const password = /created the project owner "admin" with the password (\S+)/.exec(service.output())?.[1];
      assert.ok(password, service.output());
      assert.equal((await fetch(`http://127.0.0.1:${service.port}/api/environments`)).status, 401, 'the API needs a sign-in');
      const { cookie } = await signIn(`http://127.0.0.1:${service.port}`, 'admin', password);
      const headers = { cookie: cookie! };
      const api = (await (await fetch(`http://127.0.0.1:${service.port}/api/environments`, { headers })).json()) as { name: string; databases: unknown[] }[];
      assert.deepEqual(api.map((e) => e.name), ['contoso-prod', 'contoso-test', 'contoso-uat', 'fabrikam-uat']);
      assert.ok(api.every((e) => e.databases.length === 2));
      const missing = await fetch(`http://127.0.0.1:${service.port}/api/environments/nope`, { headers });
      assert.equal(missing.status, 404);
      assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'NOT_FOUND');

      for (const name of ['contoso-prod', 'contoso-uat']) {
        const storage = path.join(home, 'storage', name, 'documents');
        assert.ok(fs.readdirSync(storage).length >= 3, `${name} has a document storage with files`);
      }
    } finally {
      assert.equal(await service.stop(), 0);
    }
    assert.equal(alive(postmasterPid()), false, 'SIGTERM stopped the embedded server');
  });

  test('contoso-prod and contoso-uat differ in every environment-specific table', async () => {
    const [prod, uat] = await withServer(async () => [await checksums('contoso_prod_app'), await checksums('contoso_uat_app')]);
    for (const table of ENVIRONMENT_SPECIFIC_TABLES) {
      assert.ok(prod[table] && uat[table], `${table} present`);
      assert.notEqual(prod[table], uat[table], `${table} should differ between prod and uat`);
    }
  });

  test('restart keeps the environments and does not seed again', async () => {
    const service = await startService(env());
    try {
      assert.doesNotMatch(service.output(), /creating the demo project/);
      assert.doesNotMatch(service.output(), /project owner/, 'the owner is made once, and its password shown once');
      const list = await runCli(['env', 'list', '--json'], env());
      const createdAt = Object.fromEntries((JSON.parse(list.stdout) as { name: string; createdAt: string }[]).map((e) => [e.name, e.createdAt]));
      assert.deepEqual(createdAt, firstCreatedAt);
    } finally {
      await service.stop();
    }
  });

  test('without the service, a command starts the server for itself and leaves nothing running', async () => {
    assert.equal(alive(postmasterPid()), false);
    const list = await runCli(['env', 'list', '--json'], env());
    assert.equal(list.code, 0, list.stderr);
    assert.equal((JSON.parse(list.stdout) as unknown[]).length, 4);
    assert.equal(alive(postmasterPid()), false, 'postgres left running');
  });

  test('two commands at once without the service: both work, nothing is left running', async () => {
    const results = await Promise.all([runCli(['env', 'list', '--json'], env()), runCli(['env', 'show', 'contoso-uat', '--json'], env())]);
    for (const result of results) assert.equal(result.code, 0, result.stderr);
    assert.equal(alive(postmasterPid()), false);
  });

  test('a service killed outright leaves its server; the next command uses it and stops it', async () => {
    const service = await startService(env());
    service.child.kill('SIGKILL');
    await new Promise((resolve) => service.child.once('exit', resolve));
    const orphan = postmasterPid();
    assert.ok(alive(orphan), 'the server outlives a killed service');
    const list = await runCli(['env', 'list', '--json'], env());
    assert.equal(list.code, 0, list.stderr);
    assert.equal(alive(orphan), false, 'the next command left the orphaned server running');
  });

  test('a service started while a command runs keeps its server after the command ends', async () => {
    const command = spawn(process.execPath, [BIN, 'sample', 'load', '--env', 'fabrikam-uat', '--scale', '0.05', '--replace'], {
      cwd: ROOT,
      env: env(),
      stdio: 'ignore',
    });
    const commandDone = new Promise<number | null>((resolve) => command.once('exit', (code) => resolve(code)));
    await waitFor('the command to start the embedded server', () => alive(postmasterPid()));
    const service = await startService(env());
    try {
      assert.equal(await commandDone, 0);
      const health = await fetch(`http://127.0.0.1:${service.port}/healthz`);
      assert.equal(health.status, 200, 'the command stopped the server under the service');
      assert.equal((await runCli(['env', 'list'], env())).code, 0);
    } finally {
      await service.stop();
    }
    assert.equal(alive(postmasterPid()), false);
  });

  test("sample load replaces dataalm's own sample, and never somebody else's data without consent", () => withServer(async () => {
    const before = await checksums('contoso_test_app');
    const reloaded = await runCli(['sample', 'load', '--env', 'contoso-test', '--scale', '0.001', '--json'], env());
    assert.equal(reloaded.code, 0, reloaded.stderr);
    assert.ok((JSON.parse(reloaded.stdout) as { databases: { application: { rows: number } } }).databases.application.rows > 0);
    assert.deepEqual(await checksums('contoso_test_app'), before, 'the same scale and environment give the same content');

    const admin = new pg.Client({ connectionString: adminUrl('postgres') });
    await admin.connect();
    try {
      // Somebody else's data: the sandbox needs --replace, production is never replaced.
      await admin.query("COMMENT ON DATABASE contoso_test_app IS 'our own test data'");
      const refused = await runCli(['sample', 'load', '--env', 'contoso-test', '--scale', '0.001'], env());
      assert.equal(refused.code, 4);
      assert.match(refused.stderr, /already holds \d+ tables that are not dataalm's sample; nothing was changed \(add --replace/);
      const demo = await runCli(['demo', '--reset', '--scale', '0.001'], env());
      assert.notEqual(demo.code, 0);
      assert.match(demo.stderr, /database "contoso_test_app" exists on the server and is not dataalm's; nothing was changed/);
      const replaced = await runCli(['sample', 'load', '--env', 'contoso-test', '--scale', '0.001', '--replace'], env());
      assert.equal(replaced.code, 0, replaced.stderr);

      await admin.query("COMMENT ON DATABASE contoso_prod_app IS 'production data'");
      const production = await runCli(['sample', 'load', '--env', 'contoso-prod', '--scale', '0.001', '--replace'], env());
      assert.equal(production.code, 5);
      assert.match(production.stderr, /production environment "contoso-prod" holds data that is not dataalm's sample; nothing was changed/);
      await admin.query("COMMENT ON DATABASE contoso_prod_app IS 'dataalm: restored for the next tests'");
    } finally {
      await admin.end();
    }
    const badScale = await runCli(['sample', 'load', '--env', 'contoso-test', '--scale', 'big'], env());
    assert.equal(badScale.code, 2);
    assert.match(badScale.stderr, /scale \(--scale\): "big" must be a number/);
  }));

  test("contoso-uat's synchronize command applies its customisation", () => withServer(async () => {
    const credentials = JSON.parse((await runCli(['env', 'credentials', 'contoso-uat', '--json'], env())).stdout) as {
      databases: { application: string };
    };
    const command = JSON.parse((await runCli(['env', 'show', 'contoso-uat', '--json'], env())).stdout).syncCommand as string;
    assert.equal(command, 'dataalm sample customise uat-notes');
    const result = await runCli(command.split(' ').slice(1), { ...env(), DATABASE_URL: credentials.databases.application });
    assert.equal(result.code, 0, result.stderr);
    const client = new pg.Client({ connectionString: adminUrl('contoso_uat_app') });
    await client.connect();
    const column = await client.query("select 1 from information_schema.columns where table_name = 'custtable' and column_name = 'uatnote'");
    await client.end();
    assert.equal(column.rowCount, 1);
  }));

  test('demo: kept without --reset; an interrupted --reset stops its server and is redone by the next demo', async () => {
    const kept = await runCli(['demo', '--json'], env());
    assert.equal(kept.code, 0, kept.stderr);
    assert.equal(JSON.parse(kept.stdout).created, false);

    const child = spawn(process.execPath, [BIN, 'demo', '--reset', '--scale', '0.3'], { cwd: ROOT, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const loading = new Promise<void>((resolve) =>
      child.stderr!.on('data', (c: Buffer) => {
        stderr += c.toString();
        if (stderr.includes('loading sample data')) resolve();
      }),
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    await loading;
    // Interrupted once the sample data is being written, not before.
    await waitFor('sample tables in contoso_prod_app', async () => {
      const rows = await queryRows(adminUrl('contoso_prod_app'), `select count(*)::int as n from information_schema.tables where table_schema = 'public'`).catch(() => []);
      return Number(rows[0]?.n ?? 0) > 0;
    }, { intervalMs: 20 });
    child.kill('SIGINT');
    assert.equal(await exited, 130, stderr);
    assert.equal(alive(postmasterPid()), false, 'interrupted command left its server running');

    const redone = await runCli(['demo', '--json', '--scale', '0.001'], env());
    assert.equal(redone.code, 0, redone.stderr);
    const result = JSON.parse(redone.stdout) as { created: boolean; environments: { name: string }[] };
    assert.equal(result.created, true);
    assert.equal(result.environments.length, 4);
  });

  test('an HTTP port in use: one clear line, and the embedded server is stopped again', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const result = await runCli(['start'], { ...env(), DATAALM_PORT: String(port) });
      assert.notEqual(result.code, 0);
      assert.match(result.stderr, new RegExp(`HTTP port 127\\.0\\.0\\.1:${port} is already in use \\(.*DATAALM_PORT`));
      assert.equal(alive(postmasterPid()), false);
    } finally {
      blocker.close();
    }
  });

  test('no secret in the logs: server log and service output hold no environment password', async () => {
    const secrets = [fs.readFileSync(path.join(home, 'pg-password'), 'utf8').trim()];
    for (const name of ['contoso-uat', 'contoso-test', 'fabrikam-uat']) {
      const urls = JSON.parse((await runCli(['env', 'credentials', name, '--json'], env())).stdout).databases as Record<string, string>;
      for (const url of Object.values(urls)) secrets.push(decodeURIComponent(new URL(url).password));
    }
    const log = fs.readFileSync(path.join(home, 'postgresql.log'), 'utf8');
    const service = await startService(env());
    await service.stop();
    for (const secret of secrets) {
      assert.ok(secret.length > 8);
      assert.ok(!log.includes(secret), 'password in postgresql.log');
      assert.ok(!service.output().includes(secret), 'password in service output');
    }
  });
});

describe('dataalm start on DATAALM_DATABASE_URL', () => {
  let control: TestDatabase;
  let urlHome: string;
  before(async () => {
    control = await createTestDatabase('start_url');
    urlHome = fs.mkdtempSync(path.join(os.tmpdir(), 'dataalm-url-'));
  });
  after(async () => {
    await control.drop();
    fs.rmSync(urlHome, { recursive: true, force: true });
  });

  test('uses the existing server: no embedded server, no demo', async () => {
    const service = await startService(cliEnv({ DATAALM_HOME: urlHome, DATAALM_DATABASE_URL: control.url, DATAALM_ADMIN_PASSWORD: 'chosen-owner-password' }));
    try {
      const health = (await (await fetch(`http://127.0.0.1:${service.port}/healthz`)).json()) as Record<string, unknown>;
      assert.deepEqual(health, { status: 'ok', controlDatabase: 'ok', embedded: false });
      assert.match(service.output(), /created the project owner "admin" \(password from DATAALM_ADMIN_PASSWORD\)/);
      assert.doesNotMatch(service.output(), /chosen-owner-password/);
      const { cookie } = await signIn(`http://127.0.0.1:${service.port}`, 'admin', 'chosen-owner-password');
      const api = (await (await fetch(`http://127.0.0.1:${service.port}/api/environments`, { headers: { cookie: cookie! } })).json()) as unknown[];
      assert.deepEqual(api, []);
    } finally {
      assert.equal(await service.stop(), 0);
    }
    assert.ok(!fs.existsSync(path.join(urlHome, 'pg')), 'no embedded cluster was created');
  });
});
