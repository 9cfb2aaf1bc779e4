import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { openEmbeddedServer } from '../src/adapters/embedded/embedded-server.ts';
import { isRoot } from '../src/adapters/embedded/system-user.ts';

const homes: string[] = [];
function freshHome(parentMode = 0o755): string {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'dataalm-embedded-'));
  fs.chmodSync(parent, parentMode);
  homes.push(parent);
  return path.join(parent, 'home');
}

function modeOf(file: string): number {
  return fs.statSync(file).mode & 0o777;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

after(() => {
  for (const home of homes) fs.rmSync(home, { recursive: true, force: true });
});

describe('embedded PostgreSQL', () => {
  test('initialises, keeps data across restarts, stores 0600 secrets, stops cleanly', async () => {
    const home = freshHome();
    const first = await openEmbeddedServer({ home });
    const client = new pg.Client({ connectionString: first.adminUrl });
    await client.connect();
    await client.query('create table kept (v text); insert into kept values ($1)', ['still here']).catch(async () => {
      await client.query('create table kept (v text)');
      await client.query("insert into kept values ('still here')");
    });
    const listen = await client.query<{ setting: string }>("select setting from pg_settings where name = 'listen_addresses'");
    assert.equal(listen.rows[0]!.setting, '127.0.0.1');
    await client.end();

    const state = JSON.parse(fs.readFileSync(path.join(home, 'embedded.json'), 'utf8')) as { adminUrl: string; port: number };
    assert.equal(state.adminUrl, first.adminUrl);
    assert.equal(modeOf(path.join(home, 'embedded.json')), 0o600);
    assert.equal(modeOf(path.join(home, 'pg-password')), 0o600);
    assert.ok(state.adminUrl.includes(encodeURIComponent(fs.readFileSync(path.join(home, 'pg-password'), 'utf8').trim())));

    const pid = Number(fs.readFileSync(path.join(first.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    await first.release();
    assert.equal(alive(pid), false, 'postgres still running after the only user released it');

    const second = await openEmbeddedServer({ home });
    assert.equal(second.port, first.port, 'the port is kept');
    const again = new pg.Client({ connectionString: second.adminUrl });
    await again.connect();
    assert.equal((await again.query<{ v: string }>('select v from kept')).rows[0]!.v, 'still here');
    await again.end();
    await second.release();
  });

  test('shared by two users: the server stops only when the last one releases it, whatever the order', async () => {
    const home = freshHome();
    const first = await openEmbeddedServer({ home });
    const second = await openEmbeddedServer({ home });
    assert.equal(second.port, first.port);
    const pid = Number(fs.readFileSync(path.join(first.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    await first.release();
    assert.ok(alive(pid), 'stopped under a user');
    const client = new pg.Client({ connectionString: second.adminUrl });
    await client.connect();
    await client.query('select 1');
    await client.end();
    await second.release();
    assert.equal(alive(pid), false, 'the last user did not stop it');
  });

  test('the port belongs to the cluster: another DATAALM_PG_PORT later is refused with the fix', async () => {
    const home = freshHome();
    const server = await openEmbeddedServer({ home });
    await server.release();
    await assert.rejects(openEmbeddedServer({ home, port: server.port + 1 }), (error: Error & { remedy?: string }) => {
      assert.match(error.message, new RegExp(`set up on port ${server.port}`));
      assert.match(error.remedy ?? '', new RegExp(`unset DATAALM_PG_PORT or set it to ${server.port}`));
      return true;
    });
    const again = await openEmbeddedServer({ home, port: server.port });
    await again.release();
  });

  test('a lost password file is named, not reported as a login failure', async () => {
    const home = freshHome();
    const server = await openEmbeddedServer({ home });
    await server.release();
    fs.rmSync(path.join(home, 'pg-password'));
    await assert.rejects(openEmbeddedServer({ home }), /pg-password is missing, so the existing embedded server cannot be reached/);
  });

  test('a taken port fails with the server\'s own log line and a remedy', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      await assert.rejects(openEmbeddedServer({ home: freshHome(), port }), (error: Error & { remedy?: string }) => {
        assert.match(error.message, new RegExp(`did not start on 127\\.0\\.0\\.1:${port}: .*could not bind IPv4 address.*Address already in use`));
        assert.match(error.remedy ?? '', /DATAALM_PG_PORT/);
        return true;
      });
    } finally {
      blocker.close();
    }
  });

  test('a folder that cannot be written gives a clear message', async () => {
    // Root may write anywhere, so the unwritable case is a home below a regular file.
    const file = path.join(path.dirname(freshHome()), 'a-file');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '');
    await assert.rejects(openEmbeddedServer({ home: path.join(file, 'home') }), /DATAALM_HOME .*a-file\/home is not a writable folder/);
  });

  test('as root: a missing configured system user is named with the fix', { skip: !isRoot() && 'needs root' }, async () => {
    await assert.rejects(openEmbeddedServer({ home: freshHome(), osUser: 'no_such_dataalm_user' }), (error: Error & { remedy?: string }) => {
      assert.match(error.message, /system user "no_such_dataalm_user" \(DATAALM_PG_USER\) does not exist/);
      assert.match(error.remedy ?? '', /useradd/);
      return true;
    });
  });

  test('as root: a home inside a 0700 folder still works (cluster placed where postgres can reach it)', { skip: !isRoot() && 'needs root' }, async () => {
    const home = freshHome(0o700);
    const clusters: string[] = [];
    try {
      // Twice at the same path, as a fresh clone in the same CI folder would.
      for (let round = 0; round < 2; round++) {
        const server = await openEmbeddedServer({ home });
        clusters.push(fs.realpathSync(path.join(home, 'pg')));
        assert.ok(fs.lstatSync(path.join(home, 'pg')).isSymbolicLink(), 'pg should point outside the private folder');
        assert.ok(fs.existsSync(path.join(home, 'pg', 'data', 'PG_VERSION')));
        const client = new pg.Client({ connectionString: server.adminUrl });
        await client.connect();
        await client.end();
        await server.release();
        fs.rmSync(home, { recursive: true, force: true });
      }
      assert.notEqual(clusters[0], clusters[1], 'a new home must get a new cluster');
    } finally {
      for (const cluster of clusters) fs.rmSync(cluster, { recursive: true, force: true });
    }
  });
});
