import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Operation } from '../src/domain/operation.ts';
import { type Demo, addSandbox, startDemo } from './helpers/demo.ts';
import { type WorkerProcess, logMessages, startWorker, waitForEnd } from './helpers/workers.ts';

const SANDBOXES = Array.from({ length: 10 }, (_, i) => `sandbox-${i + 1}`);
const OWNER_PASSWORD = 'sandbox-owner-password';

/** Ten refreshes at once on two workers; ten requests at once for one target. */
describe('operations shared by several workers', () => {
  let demo: Demo;

  before(async () => {
    demo = await startDemo('workers');
    await demo.query('postgres', `create role sandbox_owner login createdb password '${OWNER_PASSWORD}'`);
    for (const name of SANDBOXES) await addSandbox(demo, name, { role: 'sandbox_owner', password: OWNER_PASSWORD });
  });

  after(async () => {
    await demo?.close();
  });

  const submit = (target: string) => demo.cli(['refresh', '--source', 'contoso-prod', '--target', target, '--yes', '--detach', '--json']);

  test('ten refreshes into ten sandboxes, submitted at once, all complete on two workers', async () => {
    const workers: WorkerProcess[] = [await startWorker(demo.env(), ['--concurrency', '2']), await startWorker(demo.env(), ['--concurrency', '2'])];
    try {
      const queued = await Promise.all(SANDBOXES.map(submit));
      for (const q of queued) assert.equal(q.code, 0, q.stderr + q.stdout);
      const ids = queued.map((q) => (JSON.parse(q.stdout) as Operation).id);
      const ended = await Promise.all(ids.map((id) => waitForEnd(demo, id, 300_000)));
      const failed = ended.map((o, i) => ({ o, id: ids[i]! })).filter(({ o }) => o.state !== 'succeeded');
      const logs = await Promise.all(failed.map(({ id }) => logMessages(demo, id)));
      assert.deepEqual(
        ended.map((o) => o.state),
        SANDBOXES.map(() => 'succeeded'),
        logs.join('\n----\n'),
      );
      assert.ok(ended.every((o) => o.verificationPassed === true));
      const ran = new Set(ended.map((o) => o.worker));
      assert.equal(ran.size, 2, `both workers ran operations: ${[...ran].join(', ')}`);
      process.stdout.write(`# ten refreshes on two workers: ${ended.filter((o) => o.state === 'succeeded').length} of 10 succeeded; per worker: ${[...ran].map((w) => ended.filter((o) => o.worker === w).length).join(' + ')}\n`);
    } finally {
      for (const worker of workers) await worker.stop();
    }
  });

  test('ten requests at once for one target: exactly one is accepted, the others refused with the reason', async () => {
    // The copy made the sandbox's recurring jobs active again; stop them, as a person would.
    await demo.query('sandbox_1_app', 'update dmfrecurringjob set enabled = 0');
    // No worker runs meanwhile, so the accepted one is still queued while the others ask.
    const answers = await Promise.all(SANDBOXES.map(() => submit('sandbox-1')));
    const accepted = answers.filter((a) => a.code === 0);
    const refused = answers.filter((a) => a.code === 12);
    assert.equal(accepted.length, 1, answers.map((a) => `${a.code} ${a.stdout.slice(0, 200)}`).join('\n'));
    assert.equal(refused.length, 9);
    for (const r of refused) {
      const reasons = (JSON.parse(r.stdout) as { reasons: { code: string }[] }).reasons.map((x) => x.code);
      assert.ok(reasons.includes('TARGET_BUSY'), reasons.join(','));
    }
    process.stdout.write(`# ten requests for one target: ${accepted.length} accepted, ${refused.length} refused (TARGET_BUSY)\n`);
    const worker = await startWorker(demo.env());
    try {
      const operation = await waitForEnd(demo, (JSON.parse(accepted[0]!.stdout) as Operation).id);
      assert.equal(operation.state, 'succeeded', operation.error ?? '');
    } finally {
      await worker.stop();
    }
  });
});
