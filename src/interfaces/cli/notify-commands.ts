import type { Command } from 'commander';
import { DataalmError, ERROR_CODES } from '../../domain/errors/dataalm-error.js';
import { NOTIFICATION_EVENTS, SIGNATURE_HEADER } from '../../domain/notification.js';
import { addSubscription, listSubscriptions, removeSubscription, subscriptionDeliveries, testSubscription } from '../../app/notification-service.js';
import type { NewNotificationSubscription, NotificationDelivery, NotificationSubscription } from '../../contract/index.js';
import { printJson, withBackend } from './command-context.js';
import { localActor } from './local-actor.js';

/** Deliveries `notify list` shows per subscription (the API has the longer log). */
const LISTED_DELIVERIES = 5;

interface AddOptions {
  webhook?: string;
  email?: string;
  env?: string;
  events?: string;
  json?: boolean;
}

/** A subscription as `notify list --json` prints it: with its latest deliveries and their attempts. */
type ListedSubscription = NotificationSubscription & { readonly deliveries: readonly NotificationDelivery[] };

/** `dataalm notify …`: webhooks and e-mail told when operations start, succeed, fail or need action. */
export function registerNotifyCommands(program: Command): void {
  const notify = program
    .command('notify')
    .description('notifications: webhooks (signed JSON) and e-mail told when operations start, succeed, fail or need action');

  notify
    .command('add')
    .description('subscribe a webhook or an e-mail address, for the whole project or one environment (--env)')
    .option('--webhook <url>', 'POST a JSON body signed with HMAC-SHA256 to this http(s) URL')
    .option('--email <address>', 'send an e-mail to this address (needs DATAALM_SMTP_URL)')
    .option('--env <name>', 'only operations on this environment (default: every environment of the project)')
    .option('--events <list>', `some of ${NOTIFICATION_EVENTS.join(',')}, separated by commas (default: all four)`)
    .option('--json', 'print the subscription (and a webhook’s signing secret) as JSON')
    .addHelpText(
      'after',
      `
A webhook gets a signing secret of its own, shown only once, here. Each request carries
${SIGNATURE_HEADER}: sha256=<hex of HMAC-SHA256(secret, raw body)>, X-Dataalm-Event and
X-Dataalm-Timestamp; a receiver that does not answer 2xx is tried again with backoff.
needs-action: an operation left something for a person (a rollback of a refresh that
failed after its cutover, a pending action such as the retail reprovisioning tool).`,
    )
    .action(async (o: AddOptions) => {
      const input = { webhook: o.webhook, email: o.email, env: o.env, events: o.events };
      await withBackend(o, {
        local: async (runtime) => printAdded(await addSubscription(runtime, input, { actor: localActor(), role: 'owner' }), o.json),
        remote: async (client) => {
          const events = o.events?.split(',').map((e) => e.trim()).filter((e) => e !== '');
          const body = { ...(o.webhook !== undefined ? { webhook: o.webhook } : {}), ...(o.email !== undefined ? { email: o.email } : {}), ...(o.env ? { environment: o.env } : {}), ...(events ? { events } : {}) };
          printAdded(await client.call('POST /api/notifications', { body }), o.json);
        },
      });
    });

  notify
    .command('list')
    .description('the subscriptions, each with its latest deliveries and every attempt (status, HTTP status or error, time)')
    .option('--json', 'print a JSON array')
    .action(async (o: { json?: boolean }) =>
      withBackend(o, {
        local: async (runtime) => {
          const subscriptions = await listSubscriptions(runtime);
          const listed = [];
          for (const s of subscriptions) listed.push({ ...s, deliveries: await subscriptionDeliveries(runtime, s.id, LISTED_DELIVERIES) });
          printList(listed, o.json);
        },
        remote: async (client) => {
          const listed: ListedSubscription[] = [];
          for (const s of await client.call('GET /api/notifications')) {
            listed.push({ ...s, deliveries: await client.call('GET /api/notifications/:id/deliveries', { params: { id: s.id }, query: { limit: String(LISTED_DELIVERIES) } }) });
          }
          printList(listed, o.json);
        },
      }),
    );

  notify
    .command('remove')
    .description('remove a subscription and its delivery log')
    .argument('<ID>', 'subscription id (dataalm notify list)')
    .option('--json', 'print a JSON object')
    .action(async (text: string, o: { json?: boolean }) => {
      const done = (id: number) => (o.json ? printJson({ removed: id }) : process.stdout.write(`Removed notification subscription ${id}.\n`));
      await withBackend(o, {
        local: async (runtime) => {
          const id = parseSubscriptionId(text);
          await removeSubscription(runtime, id, { actor: localActor(), role: 'owner' });
          done(id);
        },
        remote: async (client) => {
          const id = parseSubscriptionId(text);
          await client.call('DELETE /api/notifications/:id', { params: { id } });
          done(id);
        },
      });
    });

  notify
    .command('test')
    .description('send a test notification now and say what happened (it is in the delivery log too)')
    .argument('<ID>', 'subscription id (dataalm notify list)')
    .option('--json', 'print the delivery as JSON')
    .action(async (text: string, o: { json?: boolean }) =>
      withBackend(o, {
        local: async (runtime) => printTest(await testSubscription(runtime, parseSubscriptionId(text), { actor: localActor(), role: 'owner' }), o.json),
        remote: async (client) => printTest(await client.call('POST /api/notifications/:id/test', { params: { id: parseSubscriptionId(text) } }), o.json),
      }),
    );
}

function parseSubscriptionId(text: string): number {
  const id = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(id) || id < 1) {
    throw new DataalmError('INVALID_INPUT', `id: "${text}" is not a subscription id`, { field: 'id', remedy: 'dataalm notify list shows the subscriptions and their ids' });
  }
  return id;
}

function scope(s: NotificationSubscription): string {
  return s.environment === null ? 'every environment' : `environment ${s.environment}`;
}

function printAdded(added: NewNotificationSubscription, json: boolean | undefined): void {
  if (json) return printJson(added);
  const s = added.subscription;
  const lines = [`Added notification subscription ${s.id}: ${s.channel} ${s.address}, ${scope(s)}, events ${s.events.join(', ')}.`];
  if (added.secret) {
    lines.push(
      'Signing secret (shown only this once; keep it with the receiver):',
      `  ${added.secret}`,
      `The receiver checks ${SIGNATURE_HEADER}: sha256=<hex of HMAC-SHA256(secret, raw body)>.`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

function printList(listed: readonly ListedSubscription[], json: boolean | undefined): void {
  if (json) return printJson(listed);
  if (listed.length === 0) {
    process.stdout.write('No notification subscriptions. Add one with dataalm notify add --webhook URL or --email ADDRESS.\n');
    return;
  }
  const lines: string[] = [];
  for (const s of listed) {
    lines.push(`${s.id}  ${s.channel}  ${s.address}  ${scope(s)}  events ${s.events.join(',')}  (added by ${s.createdBy} ${s.createdAt})`);
    if (s.deliveries.length === 0) lines.push('    no deliveries yet');
    for (const d of s.deliveries) lines.push(...deliveryLines(d, '    '));
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

function deliveryLines(d: NotificationDelivery, indent: string): string[] {
  const about = d.operation === null ? '' : ` of operation ${d.operation}`;
  const lines = [`${indent}delivery ${d.id}: ${d.event}${about}, ${d.state} (${d.attempts.length} attempt${d.attempts.length === 1 ? '' : 's'})`];
  for (const a of d.attempts) {
    const answer = a.httpStatus !== null ? `HTTP ${a.httpStatus}` : a.ok ? 'sent' : '';
    const outcome = a.ok ? 'ok' : 'failed';
    lines.push(`${indent}  attempt ${a.attempt} at ${a.at}: ${outcome}${answer ? `, ${answer}` : ''}${a.error && a.httpStatus === null ? `, ${a.error}` : ''} (${a.durationMs} ms)`);
  }
  return lines;
}

function printTest(delivery: NotificationDelivery, json: boolean | undefined): void {
  const attempt = delivery.attempts.at(-1);
  if (json) {
    // The delivery says what happened; a test that did not arrive still fails the command.
    printJson(delivery);
    if (delivery.state !== 'delivered') process.exitCode = ERROR_CODES.UNREACHABLE_SERVER.exit;
    return;
  }
  if (delivery.state === 'delivered') {
    process.stdout.write(`Test notification delivered${attempt?.httpStatus ? `: the receiver answered HTTP ${attempt.httpStatus}` : ''} (${attempt?.durationMs ?? 0} ms; delivery ${delivery.id}).\n`);
  }
  if (delivery.state !== 'delivered') {
    // A test that did not arrive is the command's failure: scripts see it in the exit status.
    throw new DataalmError('UNREACHABLE_SERVER', `the test notification was not delivered: ${attempt?.error ?? 'no attempt was made'}`, {
      remedy: 'check the receiver (its address, that it answers 2xx) or DATAALM_SMTP_URL; dataalm notify list shows the delivery log',
    });
  }
}
