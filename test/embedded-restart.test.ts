import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, test } from 'node:test';
import pg from 'pg';
import { openEmbeddedServer } from '../src/adapters/embedded/embedded-server.ts';
import { BIN, runCli } from './helpers/cli.ts';
import {
  type Group, assertNothingLeft, checksums, env, groupAlive, healthy, parentFolder, mark, postmasterPid, startGroup, startService, tryQuery, useFreshHome, waitFor,
} from './helpers/process-groups.ts';

// The embedded PostgreSQL (or the control database) goes away under a running service or
// worker: it is started again, the processes reconnect and the operation is finished or undone.
useFreshHome('restart');

let prodLoaded = false;

/**
 * Queues a refresh, SIGKILLs the postmaster while the data step runs, and checks the server
 * comes back and the operation ends succeeded, or failed with a rollback that restores the
 * target exactly. `worker`: the operation runs in a `dataalm worker` process, not in the service.
 */
async function refreshThroughCrash(mode: 'service' | 'worker'): Promise<void> {
  const lease = { DATAALM_LEASE_SECONDS: '2' };
  const service = await startService('dataalm', lease, mode === 'worker' ? ['--no-worker'] : []);
  let worker: Group | undefined;
  const output = () => `${service.output()}\n${worker?.output() ?? ''}`;
  try {
    if (mode === 'worker') {
      worker = startGroup(process.execPath, [BIN, 'worker'], lease);
      await waitFor('the worker runs', () => worker!.output().includes('is running'), 120_000, worker.output);
    }
    mark(`${mode}: running`);
    // Enough rows that the data step lasts a while (once per file).
    if (!prodLoaded) {
      const loaded = await runCli(['sample', 'load', '--env', 'contoso-prod', '--scale', '0.05', '--replace'], env(), 240_000);
      assert.equal(loaded.code, 0, loaded.stderr);
      prodLoaded = true;
      mark('contoso-prod loaded');
    }
    // A mark in the target's own data, so the new data can be told from the old even when the
    // target already holds the same refresh (the other mode's test refreshed it first).
    assert.ok(await tryQuery('contoso_uat_app', `UPDATE mainaccount SET name = name || ' (before a refresh)' WHERE mainaccountid = (SELECT min(mainaccountid) FROM mainaccount)`), 'the target is marked');
    const before = await checksums('contoso_uat_app');

    const queued = await runCli(['refresh', '--source', 'contoso-prod', '--target', 'contoso-uat', '--yes', '--detach', '--json'], env());
    assert.equal(queued.code, 0, queued.stderr);
    const id = (JSON.parse(queued.stdout) as { id: number }).id;
    // The data step running, or done with the operation still running: the middle of the refresh.
    const progress = async () =>
      (await tryQuery<{ step: string; operation: string }>(
        'dataalm',
        `select s.status as step, o.state as operation from dataalm.operation_steps s join dataalm.operations o on o.id = s.operation_id
          where s.operation_id = $1 and s.name = 'data'`,
        [id],
      ))?.[0];
    await waitFor('the data step runs', async () => {
      const now = await progress();
      return now?.operation === 'running' && ['running', 'succeeded'].includes(now.step);
    }, 120_000, output);
    mark(`operation ${id}: data step ${(await progress())?.step}; killing the postmaster`);

    const killed = postmasterPid()!;
    process.kill(killed, 'SIGKILL');
    await waitFor('the embedded server runs again', () => {
      const pid = postmasterPid();
      return pid !== undefined && pid !== killed;
    }, 180_000, output);
    await waitFor('/healthz answers again', () => healthy(service.port), 60_000, output);
    mark('the server is back');

    const state = async () => (await tryQuery<{ state: string }>('dataalm', 'select state from dataalm.operations where id = $1', [id]))?.[0]?.state;
    await waitFor('the operation ends', async () => ['succeeded', 'failed', 'canceled'].includes((await state()) ?? ''), 150_000, output);
    const ended = await state();
    mark(`operation ${id} ended ${ended}`);
    const said = output().split('\n').filter((l) => /PostgreSQL|restart|took the operation|error|failed/.test(l));
    process.stdout.write(`# the operation ended ${ended}; the processes said:\n${said.map((l) => `#   ${l}`).join('\n')}\n`);
    assert.match(output(), /the embedded PostgreSQL is running again/);
    if (ended === 'succeeded') {
      assert.notDeepEqual(await checksums('contoso_uat_app'), before, 'the new data is live');
      const verified = await tryQuery<{ passed: boolean }>('dataalm', `select (verification->>'passed')::boolean as passed from dataalm.operations where id = $1`, [id]);
      assert.equal(verified?.[0]?.passed, true);
    } else {
      assert.equal(ended, 'failed', output());
      const rollback = await runCli(['op', 'rollback', String(id)], env(), 300_000);
      assert.equal(rollback.code, 0, `${rollback.stdout}\n${rollback.stderr}`);
      assert.deepEqual(await checksums('contoso_uat_app'), before, 'rollback brings the old data back exactly');
    }
    const staging = await tryQuery<{ datname: string }>('postgres', `select datname from pg_database where datname ~ ('__(stage|rb)_' || $1 || '$')`, [id]);
    assert.deepEqual(staging, [], 'no staging database is left');

    const postmaster = postmasterPid();
    if (worker) {
      assert.equal(worker.child.exitCode, null, `the worker lives through the loss of the server:\n${worker.output()}`);
      worker.signal('SIGTERM');
      assert.equal(await worker.exited, 0, worker.output());
      await waitFor("the worker's process group ends", () => !groupAlive(worker!.child.pid!), 30_000, worker.output);
    }
    service.signal('SIGTERM');
    await assertNothingLeft(service, postmaster);
  } finally {
    for (const group of [worker, service]) if (group && groupAlive(group.child.pid!)) group.signal('SIGKILL');
  }
}

describe('the embedded PostgreSQL dies', () => {
  test('killed with SIGKILL in the middle of a refresh run by the service: it comes back, the operation ends succeeded or failed-with-rollback, target whole', () =>
    refreshThroughCrash('service'));

  test('killed with SIGKILL in the middle of a refresh run by dataalm worker: the worker reconnects, the operation ends succeeded or failed-with-rollback, target whole', () =>
    refreshThroughCrash('worker'));
});

describe('the control database goes away under dataalm worker', () => {
  test('on DATAALM_DATABASE_URL, stopped and started again: the worker waits, reconnects and runs jobs again', async () => {
    const serverHome = path.join(parentFolder(), 'server');
    let server = await openEmbeddedServer({ home: serverHome });
    const url = server.adminUrl;
    const worker = startGroup(process.execPath, [BIN, 'worker'], { DATAALM_DATABASE_URL: url, DATAALM_HOME: path.join(parentFolder(), 'worker-home'), DATAALM_LEASE_SECONDS: '2' });
    const query = async (sql: string) => {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query(sql)).rows;
      } finally {
        await client.end();
      }
    };
    try {
      await waitFor('the worker runs', () => worker.output().includes('is running'), 120_000, worker.output);
      await server.release();
      await waitFor('the worker notices', () => worker.output().includes('worker sweep failed'), 60_000, worker.output);
      await waitFor('its queue notices', () => worker.output().includes('notify listener'), 60_000, worker.output);
      server = await openEmbeddedServer({ home: serverHome });
      await waitFor('the worker works again', () => worker.output().includes('worker sweep works again'), 120_000, worker.output);
      assert.equal(worker.child.exitCode, null, worker.output());

      // A job queued now is taken (an operation id that does not exist: the job just ends).
      await query(`select graphile_worker.add_job('dataalm_operation', json_build_object('id', 999999, 'reason', 'requested'))`);
      // Should it not be, the job's row and the worker's sessions say where it stopped.
      let seen = '';
      const state = async () => {
        const jobs = await query('select id, attempts, locked_at, locked_by, run_at, last_error from graphile_worker.jobs');
        const sessions = await query("select pid, state, wait_event, left(query, 80) as query from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()");
        seen = `jobs: ${JSON.stringify(jobs)}\nsessions: ${JSON.stringify(sessions)}`;
        return jobs.length === 0;
      };
      await waitFor('the job is run', state, 60_000, () => `${seen}\n${worker.output()}`);
      worker.signal('SIGTERM');
      assert.equal(await worker.exited, 0, worker.output());
    } finally {
      if (groupAlive(worker.child.pid!)) worker.signal('SIGKILL');
      await server.release();
    }
  });
});
