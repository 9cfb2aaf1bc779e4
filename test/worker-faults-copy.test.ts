import assert from 'node:assert/strict';
import { test } from 'node:test';
import pg from 'pg';
import type { Operation } from '../src/domain/operation.ts';
import { FAULT_GROUPS, LEASE, describeFaults, refreshCrashTests } from './helpers/faults.ts';
import { pollPause } from './helpers/wait.ts';
import { logMessages } from './helpers/workers.ts';

// A refresh whose worker dies after its data copy or around its keep-target step, or whose
// copy loses a database connection (see helpers/faults.ts).
describeFaults('copy', (suite) => {
  refreshCrashTests(suite, FAULT_GROUPS['copy']!);

  test('a copy whose connection is terminated mid-table starts again from a new snapshot and succeeds', async () => {
    const { demo } = suite;
    const watcher = new pg.Client({ connectionString: demo.url('postgres') });
    await watcher.connect();
    let terminated = 0;
    let watching = true;
    // Ends the first COPY into a staging database as soon as one is seen.
    const killer = (async () => {
      while (watching && terminated === 0) {
        const killed = await watcher.query<{ ok: boolean }>(
          `select pg_terminate_backend(pid) as ok from pg_stat_activity
            where datname like 'contoso_uat_app__stage_%' and backend_type = 'client backend' and query ilike 'copy %from stdin%'`,
        );
        terminated += killed.rows.filter((r) => r.ok).length;
        await pollPause(5);
      }
    })();
    let run;
    try {
      run = await demo.cli(['refresh', '--source', 'contoso-prod', '--target', 'contoso-uat', '--yes', '--json'], LEASE);
    } finally {
      watching = false;
      await killer.finally(() => watcher.end());
    }
    assert.ok(terminated > 0, 'a COPY backend was terminated');
    assert.equal(run.code, 0, run.stderr);
    const operation = JSON.parse(run.stdout) as Operation;
    assert.equal(operation.state, 'succeeded');
    const logs = await logMessages(demo, operation.id);
    assert.match(logs, /the copy lost a database connection \(.*\); it starts again from a new snapshot in 1 s \(attempt 2 of 3\)/);
    await suite.noOrphans();
  });
});
