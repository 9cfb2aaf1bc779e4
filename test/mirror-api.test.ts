import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { type AuditEntry, type MirrorRemoved, type MirrorStatus, mirrorRemoved, mirrorStatus } from '../src/contract/index.ts';
import { type Answer, type Caller, call, signIn } from './helpers/http-client.ts';
import { OWNER_PASSWORD, type Service, addUsers, startService } from './helpers/service.ts';
import { waitFor } from './helpers/wait.ts';

// A sandbox's mirror through the HTTP API: contoso-uat mirrors contoso-prod on the demo's
// embedded server. Every answer is checked against the contract by call(); here the mirror's
// answers are parsed with their schemas once more, so a test of this file names them.
const TARGET = 'contoso-uat';
const SOURCE = 'contoso-prod';
const MIRROR = `/api/environments/${TARGET}/mirror`;
const MIA_PASSWORD = 'manager-password-mia-2';
const TOM_PASSWORD = 'member-password-tom-2';
const SEED_TIMEOUT_MS = 180_000;

describe('mirror HTTP API', () => {
  let service: Service;
  let owner: Caller;
  let manager: Caller;
  let member: Caller;
  let adminUrl: string;

  /** Rows of a query as the embedded server's superuser, on `database`. */
  const query = async <R extends pg.QueryResultRow>(database: string, sql: string, values: unknown[] = []): Promise<R[]> => {
    const url = new URL(adminUrl);
    url.pathname = `/${database}`;
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    try {
      return (await client.query<R>(sql, values)).rows;
    } finally {
      await client.end();
    }
  };

  const status = (answer: Answer): MirrorStatus => mirrorStatus.parse(answer.json());

  /** GET the mirror until it is no longer seeding; its last status. */
  const untilSeeded = (caller: Caller) =>
    waitFor(
      'the mirror to be seeded',
      async () => {
        const answer = await call(service.baseUrl, caller, 'GET', MIRROR);
        assert.equal(answer.status, 200, answer.text);
        const s = status(answer);
        return s.state === 'seeding' ? undefined : s;
      },
      { timeoutMs: SEED_TIMEOUT_MS, intervalMs: 250 },
    );

  before(async () => {
    service = await startService('mirror-api');
    await addUsers(service, [
      ['mia', 'manager', MIA_PASSWORD],
      ['tom', 'member', TOM_PASSWORD],
    ]);
    owner = await signIn(service.baseUrl, 'admin', OWNER_PASSWORD);
    manager = await signIn(service.baseUrl, 'mia', MIA_PASSWORD);
    member = await signIn(service.baseUrl, 'tom', TOM_PASSWORD);
    // The embedded server's superuser reaches the source's database (production's credentials are never shown).
    adminUrl = (JSON.parse(fs.readFileSync(path.join(service.home, 'embedded.json'), 'utf8')) as { adminUrl: string }).adminUrl;
  });

  after(async () => {
    await service?.stop();
  });

  test('every role may read a mirror; only the project owner may enable, resync or disable one', async () => {
    for (const caller of [owner, manager, member]) {
      const none = await call(service.baseUrl, caller, 'GET', MIRROR);
      assert.equal(none.status, 404, `${caller.label}: ${none.text}`);
      assert.equal(none.json<{ error: { code: string } }>().error.code, 'NOT_FOUND');
    }
    assert.equal((await call(service.baseUrl, { label: 'anonymous' }, 'GET', MIRROR)).status, 401);
    for (const caller of [manager, member]) {
      const enable = await call(service.baseUrl, caller, 'POST', MIRROR, { source: SOURCE });
      assert.equal(enable.status, 403, `${caller.label} enabling: ${enable.text}`);
      const resync = await call(service.baseUrl, caller, 'POST', `${MIRROR}/resync`);
      assert.equal(resync.status, 403, `${caller.label} resyncing: ${resync.text}`);
      const disable = await call(service.baseUrl, caller, 'DELETE', MIRROR);
      assert.equal(disable.status, 403, `${caller.label} disabling: ${disable.text}`);
    }
    // The refusals made nothing: still no mirror, and nothing on the source.
    assert.equal((await call(service.baseUrl, owner, 'GET', MIRROR)).status, 404);
    assert.deepEqual(await query('postgres', 'SELECT slot_name FROM pg_replication_slots'), []);
  });

  test('a wrong request is refused before anything is made', async () => {
    const extra = await call(service.baseUrl, owner, 'POST', MIRROR, { source: SOURCE, everything: true });
    assert.equal(extra.status, 400, extra.text);
    const unknown = await call(service.baseUrl, owner, 'POST', MIRROR, { source: 'no-such-env' });
    assert.equal(unknown.status, 404, unknown.text);
    const itself = await call(service.baseUrl, owner, 'POST', MIRROR, { source: TARGET });
    assert.equal(itself.status, 400, itself.text);
    const production = await call(service.baseUrl, owner, 'POST', `/api/environments/${SOURCE}/mirror`, { source: TARGET });
    assert.equal(production.status, 400, production.text);
    assert.equal((await call(service.baseUrl, owner, 'POST', `${MIRROR}/resync`)).status, 404);
    assert.equal((await call(service.baseUrl, owner, 'DELETE', MIRROR)).status, 404);
    assert.equal((await call(service.baseUrl, owner, 'GET', '/api/environments/no-such-env/mirror')).status, 404);
    assert.equal((await call(service.baseUrl, owner, 'GET', MIRROR)).status, 404);
  });

  test('enabled, it seeds then streams and is usable; resynced, it streams again; disabled, nothing is left on the source', async () => {
    const maxLagBytes = 256 * 1024 ** 2;
    const enabled = await call(service.baseUrl, owner, 'POST', MIRROR, { source: SOURCE, maxLagBytes });
    assert.equal(enabled.status, 202, enabled.text);
    const seeding = status(enabled);
    assert.equal(seeding.state, 'seeding');
    assert.equal(seeding.health, 'seeding');
    assert.equal(seeding.usable, false);
    assert.equal(seeding.source, SOURCE);
    assert.equal(seeding.maxLagBytes, maxLagBytes);
    assert.equal(seeding.createdBy, 'admin');

    const again = await call(service.baseUrl, owner, 'POST', MIRROR, { source: SOURCE });
    assert.equal(again.status, 409, `a second mirror: ${again.text}`);

    const streaming = await untilSeeded(member);
    assert.equal(streaming.state, 'streaming', JSON.stringify(streaming));
    assert.equal(streaming.health, 'healthy', JSON.stringify(streaming));
    assert.equal(streaming.usable, true);
    assert.equal(streaming.reason, null);
    assert.ok(streaming.seededAt !== null);
    assert.ok(streaming.tables.published.length > 0, 'some tables are replicated');
    assert.equal(typeof streaming.lagBytes, 'number');
    assert.equal(typeof streaming.retainedBytes, 'number');
    // Read by everyone; the same mirror.
    const read = status(await call(service.baseUrl, manager, 'GET', MIRROR));
    assert.equal(read.usable, true);
    assert.equal(read.slot, streaming.slot);

    const slots = async () => (await query<{ slot_name: string }>('postgres', 'SELECT slot_name FROM pg_replication_slots')).map((r) => r.slot_name);
    const publications = async () => (await query<{ pubname: string }>('contoso_prod_app', 'SELECT pubname FROM pg_publication')).map((r) => r.pubname);
    const databases = async () => (await query<{ datname: string }>('postgres', 'SELECT datname FROM pg_database WHERE datname = $1', [streaming.database])).length;
    assert.deepEqual(await slots(), [streaming.slot]);
    assert.deepEqual(await publications(), [streaming.publication]);
    assert.equal(await databases(), 1);

    const resynced = await call(service.baseUrl, owner, 'POST', `${MIRROR}/resync`);
    assert.equal(resynced.status, 202, resynced.text);
    assert.equal(status(resynced).state, 'seeding');
    assert.equal(status(resynced).maxLagBytes, maxLagBytes, 'the limit is kept');
    const reseeded = await untilSeeded(owner);
    assert.equal(reseeded.state, 'streaming', JSON.stringify(reseeded));
    assert.equal(reseeded.usable, true, JSON.stringify(reseeded));
    assert.deepEqual(await slots(), [reseeded.slot], 'the old slot is gone, one new one');

    const disabled = await call(service.baseUrl, owner, 'DELETE', MIRROR);
    assert.equal(disabled.status, 200, disabled.text);
    const removed: MirrorRemoved = mirrorRemoved.parse(disabled.json());
    assert.deepEqual(removed, { environment: TARGET, removed: { subscription: true, slot: true, publication: true, database: true } });
    const gone = await call(service.baseUrl, owner, 'GET', MIRROR);
    assert.equal(gone.status, 404, gone.text);

    // On the source: no replication slot and no publication; on the target's server, no mirror database.
    assert.deepEqual(await slots(), []);
    assert.deepEqual(await publications(), []);
    const anywhere = await query<{ datname: string; pubname: string }>('postgres', 'SELECT datname FROM pg_database WHERE datname = ANY($1)', [[streaming.database, reseeded.database]]);
    assert.deepEqual(anywhere, []);
  });

  test('the audit log has who enabled and who disabled the mirror', async () => {
    const audit = (await call(service.baseUrl, owner, 'GET', '/api/audit?limit=100')).json<AuditEntry[]>().filter((e) => e.action.startsWith('environment.mirror-'));
    const enables = audit.filter((e) => e.action === 'environment.mirror-enable');
    const disables = audit.filter((e) => e.action === 'environment.mirror-disable');
    // Enabled, resynced (taken down and enabled again), disabled.
    assert.equal(enables.length, 2, JSON.stringify(audit));
    assert.equal(disables.length, 2, JSON.stringify(audit));
    for (const entry of [...enables, ...disables]) {
      assert.equal(entry.actor, 'admin');
      assert.equal(entry.target, TARGET);
    }
    assert.equal(enables.at(-1)!.details.source, SOURCE, 'the first enable names its source');
    assert.equal(enables.at(-1)!.details.maxLagBytes, 256 * 1024 ** 2);
    assert.deepEqual(disables[0]!.details.removed, { subscription: true, slot: true, publication: true, database: true });
    // Refusals and failed requests are not audited as changes.
    assert.equal(audit.filter((e) => e.actor !== 'admin').length, 0, JSON.stringify(audit));
  });
});
