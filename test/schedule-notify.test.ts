import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { NewNotificationSubscription, ScheduleRun } from '../src/contract/index.ts';
import { type Demo, startDemo } from './helpers/demo.ts';
import { type Hook, type Mail, type Receivers, signedWith, startReceivers } from './helpers/receivers.ts';
import { waitFor } from './helpers/wait.ts';
import { type WorkerProcess, startWorker, waitForEnd } from './helpers/workers.ts';

// Schedules and notifications together, as a team uses them: a refresh of contoso-uat every
// minute, run by a worker as the schedule's creator; a webhook (signed) and an e-mail through
// a local SMTP server each say it succeeded, with the operation's id; a scheduled refresh that
// fails says "failed" with its step.

const TARGET = 'contoso-uat';
const SOURCE = 'contoso-prod';
const DELIVERY_TIMEOUT_MS = 60_000;

describe('a scheduled refresh, and who is told', () => {
  let demo: Demo;
  let receivers: Receivers;
  let worker: WorkerProcess | undefined;
  let secret = '';
  let scheduleId = 0;
  const smtpEnv = () => ({ DATAALM_SMTP_URL: receivers.smtpUrl });
  const cli = (args: string[], extra: Record<string, string> = {}) => demo.cli(args, { ...smtpEnv(), ...extra });
  const hooksOf = (id: number, event: string): Hook[] => receivers.hooks.filter((h) => h.body.operationId === id && h.body.event === event);
  const mailsOf = (id: number, pattern: RegExp): Mail[] => receivers.mails.filter((m) => m.raw.includes(`${id}`) && pattern.test(m.raw));

  /** The schedule's next run that started an operation after `seen` runs: its operation. */
  const nextStarted = async (seen: number): Promise<number> => {
    const run = await waitFor(
      'the schedule to fire',
      async () => {
        const listed = await cli(['schedule', 'runs', String(scheduleId), '--json']);
        assert.equal(listed.code, 0, listed.stderr);
        const runs = JSON.parse(listed.stdout) as ScheduleRun[];
        return runs.length > seen && runs;
      },
      { timeoutMs: 100_000, intervalMs: 500 },
    );
    const started = run.find((r) => r.outcome === 'started' && r.operation !== null && !seenOperations.has(r.operation));
    assert.ok(started, `a run started a refresh: ${JSON.stringify(run)}`);
    seenOperations.add(started.operation!);
    return started.operation!;
  };
  const seenOperations = new Set<number>();

  before(async () => {
    receivers = await startReceivers();
    demo = await startDemo('schedule-notify');
    const hook = await cli(['notify', 'add', '--webhook', `${receivers.hookUrl}/team`, '--env', TARGET, '--json']);
    assert.equal(hook.code, 0, hook.stderr);
    secret = (JSON.parse(hook.stdout) as NewNotificationSubscription).secret!;
    const mail = await cli(['notify', 'add', '--email', 'uat-team@example.com', '--env', TARGET, '--events', 'succeeded,failed']);
    assert.equal(mail.code, 0, mail.stderr);
  });

  after(async () => {
    await worker?.stop();
    await demo?.close();
    await receivers?.close();
  });

  test('a schedule every minute fires a refresh that succeeds; the webhook and the SMTP server each get "succeeded" with its id', { timeout: 300_000 }, async () => {
    worker = await startWorker(demo.env(smtpEnv()));
    const added = await cli(['schedule', 'add', TARGET, '--source', SOURCE, '--cron', '* * * * *', '--json']);
    assert.equal(added.code, 0, added.stderr);
    scheduleId = (JSON.parse(added.stdout) as { id: number }).id;
    const id = await nextStarted(0);
    // Its next minute must not start another refresh before this test looks at this one.
    assert.equal((await cli(['schedule', 'pause', String(scheduleId)])).code, 0);
    const ended = await waitForEnd(demo, id, 180_000);
    assert.equal(ended.state, 'succeeded');

    const [told] = await waitFor('the webhook to get "succeeded"', () => hooksOf(id, 'succeeded').length > 0 && hooksOf(id, 'succeeded'), { timeoutMs: DELIVERY_TIMEOUT_MS });
    assert.ok(signedWith(told!, secret), 'signed with the subscription secret');
    assert.equal(told!.body.state, 'succeeded');
    assert.equal(told!.body.target, TARGET);
    const [mail] = await waitFor('the e-mail of the success', () => mailsOf(id, /succeeded/).length > 0 && mailsOf(id, /succeeded/), { timeoutMs: DELIVERY_TIMEOUT_MS });
    assert.deepEqual(mail!.to, ['uat-team@example.com']);
    assert.match(mail!.raw, new RegExp(`Subject: dataalm: refresh ${id} of ${TARGET} from ${SOURCE} succeeded`));
  });

  test('a scheduled refresh that fails: the webhook and the SMTP server each get "failed" with the step', { timeout: 300_000 }, async () => {
    await worker!.stop();
    // This worker fails every refresh at its post step.
    worker = await startWorker(demo.env({ ...smtpEnv(), DATAALM_TEST_FAIL_AT: 'post' }));
    // Due now rather than at the next minute: the schedule fires at the worker's next look.
    await demo.query('dataalm', `update dataalm.schedules set paused = false, next_run_at = now() where id = $1`, [scheduleId]);
    const id = await nextStarted(1);
    assert.equal((await cli(['schedule', 'pause', String(scheduleId)])).code, 0);
    const ended = await waitForEnd(demo, id, 180_000);
    assert.equal(ended.state, 'failed');

    const [told] = await waitFor('the webhook to get "failed"', () => hooksOf(id, 'failed').length > 0 && hooksOf(id, 'failed'), { timeoutMs: DELIVERY_TIMEOUT_MS });
    assert.equal(told!.body.step, 'post');
    assert.ok(signedWith(told!, secret));
    await waitFor('the e-mail of the failure', () => mailsOf(id, new RegExp(`Subject: dataalm: refresh ${id} of ${TARGET} from ${SOURCE} failed at step post`)).length > 0, { timeoutMs: DELIVERY_TIMEOUT_MS });
    await worker!.stop();
    worker = undefined;
    assert.equal((await cli(['op', 'rollback', String(id)])).code, 0);
  });
});
