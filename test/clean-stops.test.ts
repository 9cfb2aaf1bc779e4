import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BIN } from './helpers/cli.ts';
import { assertNothingLeft, groupAlive, postmasterPid, startGroup, startService, useFreshHome, waitFor } from './helpers/process-groups.ts';

// How dataalm stops, on a fresh home as `npm start` runs it: each process under test leads its
// own process group, as under a terminal, systemd or a container runtime, and the signals go
// to the whole group (npm, the service and anything they started).
useFreshHome('stops');

describe('clean stops', () => {
  test('npm start, SIGINT twice to its process group: no PostgreSQL, worker or child is left', async () => {
    const service = await startService('npm');
    try {
      assert.match(service.output(), /build is up to date/, 'npm start did not rebuild what is up to date');
      const postmaster = postmasterPid();
      assert.ok(postmaster, 'the embedded server runs');
      service.signal('SIGINT');
      service.signal('SIGINT');
      await assertNothingLeft(service, postmaster);
      assert.doesNotMatch(service.output(), /stopping at once/);
    } finally {
      if (groupAlive(service.child.pid!)) service.signal('SIGKILL');
    }
  });

  test('npm start, SIGTERM once to its process group: nothing is left', async () => {
    const service = await startService('npm');
    try {
      const postmaster = postmasterPid();
      service.signal('SIGTERM');
      await assertNothingLeft(service, postmaster);
    } finally {
      if (groupAlive(service.child.pid!)) service.signal('SIGKILL');
    }
  });

  test('dataalm start alone, SIGINT, then SIGINT again later: the second stops waiting, still nothing is left', async () => {
    const service = await startService('dataalm');
    try {
      const postmaster = postmasterPid();
      service.signal('SIGINT');
      await waitFor('the stop begins', () => service.output().includes('SIGINT received'), 30_000, service.output);
      await new Promise((r) => setTimeout(r, 2500)); // past the window in which a repeat is the same request
      if (groupAlive(service.child.pid!)) service.signal('SIGINT');
      await assertNothingLeft(service, postmaster);
      assert.equal(await service.exited, 0);
    } finally {
      if (groupAlive(service.child.pid!)) service.signal('SIGKILL');
    }
  });

  test('dataalm worker, SIGTERM to its process group: the server it started is stopped, nothing is left', async () => {
    const worker = startGroup(process.execPath, [BIN, 'worker'], {});
    try {
      await waitFor('the worker runs', () => worker.output().includes('is running'), 120_000, worker.output);
      const postmaster = postmasterPid();
      assert.ok(postmaster);
      worker.signal('SIGTERM');
      await assertNothingLeft(worker, postmaster);
    } finally {
      if (groupAlive(worker.child.pid!)) worker.signal('SIGKILL');
    }
  });
});
