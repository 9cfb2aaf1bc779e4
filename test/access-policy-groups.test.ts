import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { profileSchema } from '../src/domain/profile/profile-schema.ts';
import type { AccessPolicy, Operation } from '../src/contract/index.ts';
import { type Demo, addSandbox, startDemo } from './helpers/demo.ts';
import { LEASE } from './helpers/faults.ts';
import { within } from './helpers/wait.ts';
import { logMessages, startWorker, waitForEnd } from './helpers/workers.ts';

// A user-written profile whose application has user groups: a refresh between two sandboxes
// re-enables the users a policy names and the members of the groups it names, nobody else.
const PASSWORD = 'groups-owner-password-1';
const ROLE = 'groups_owner';

const PROFILE = `
name: groups-app
version: 1
sanitize:
  - name: disable-users
    description: Every user but Admin and the service accounts is disabled.
    sql: UPDATE userinfo SET enable = 0 WHERE id <> 'Admin' AND isserviceaccount = 0
    verify: SELECT count(*) FROM userinfo WHERE enable <> 0 AND id <> 'Admin' AND isserviceaccount = 0
access:
  enable:
    sql: UPDATE userinfo SET enable = 1 WHERE id = ANY($1::text[]) RETURNING id
  groups:
    description: The members of the named groups are enabled.
    sql: UPDATE userinfo SET enable = 1 WHERE id IN (SELECT userid FROM usergrouplist WHERE groupid = ANY($1::text[])) RETURNING id
`;

describe('access policy with groups, on a profile of its own', () => {
  let demo: Demo;

  before(async () => {
    demo = await startDemo('access-groups');
    const profile = path.join(path.dirname(demo.home), 'groups-app.yaml');
    fs.writeFileSync(profile, PROFILE);
    await demo.query('postgres', `create role ${ROLE} login createdb password '${PASSWORD}'`);
    const owner = { role: ROLE, password: PASSWORD };
    await addSandbox(demo, 'groups-source', owner, ['--profile', profile]);
    await addSandbox(demo, 'groups-uat', owner, ['--profile', profile]);
    // The application's group membership, in the source only: the refresh brings it over.
    await demo.query('groups_source_app', `
      CREATE TABLE usergrouplist (groupid text NOT NULL, userid text NOT NULL, PRIMARY KEY (groupid, userid));
      ALTER TABLE usergrouplist OWNER TO ${ROLE};
      INSERT INTO usergrouplist VALUES ('Testers', 'u000007'), ('Testers', 'u000008'), ('Finance', 'u000009');
      UPDATE userinfo SET enable = 1`);
  });

  after(async () => {
    await demo?.close();
  });

  test('a profile whose access statement does not take the list as $1 is refused', () => {
    const parsed = profileSchema.safeParse({ name: 'x', version: 1, access: { enable: { sql: "UPDATE userinfo SET enable = 1 WHERE id = 'u1'" } } });
    assert.equal(parsed.success, false);
    assert.match(JSON.stringify(parsed.error?.issues), /must take the list of names as \$1/);
  });

  test('users and groups are re-enabled after the verification; an unknown group enables nobody', async () => {
    const set = await demo.cli(['env', 'access', 'groups-uat', '--enable-users', 'u000012', '--enable-groups', 'Testers, NoSuchGroup', '--json']);
    assert.equal(set.code, 0, set.stderr + set.stdout);
    const policy = JSON.parse(set.stdout) as AccessPolicy;
    assert.deepEqual([policy.users, policy.groups, policy.supports], [['u000012'], ['Testers', 'NoSuchGroup'], { users: true, groups: true }]);

    const preview = await demo.cli(['refresh', '--source', 'groups-source', '--target', 'groups-uat', '--dry-run']);
    assert.match(preview.stdout, /After verification passes, these users are re-enabled: u000012; and the members of these groups are re-enabled: Testers, NoSuchGroup\./);

    const result = await demo.cli(['refresh', '--source', 'groups-source', '--target', 'groups-uat', '--yes', '--json', '--jobs', '2']);
    assert.equal(result.code, 0, result.stderr + result.stdout);
    const operation = JSON.parse(result.stdout) as Operation;
    assert.equal(operation.state, 'succeeded');

    const enabled = await demo.query<{ id: string }>('groups_uat_app', 'SELECT id FROM userinfo WHERE enable = 1 AND isserviceaccount = 0 ORDER BY id');
    assert.deepEqual(enabled.map((u) => u.id), ['Admin', 'u000007', 'u000008', 'u000012']);
    const access = operation.verification!.checks.find((c) => c.rule === 'access-policy');
    assert.match(access?.detail ?? '', /^re-enabled 3 users/);
    const logs = await demo.cli(['op', 'logs', String(operation.id)]);
    assert.match(logs.stdout, /re-enabled 3 users \(with the members of Testers, NoSuchGroup\): u000007, u000008, u000012/);
  });
  test('a worker that dies right after re-enabling: the next one runs the lock-down again, verifies it, and re-enables', async () => {
    const tmp = path.join(path.dirname(demo.home), 'killed-process-tmp');
    fs.mkdirSync(tmp, { recursive: true });
    const doomed = await startWorker(demo.env({ ...LEASE, DATAALM_FAULT: 'verify:users-reenabled', TMPDIR: tmp }));
    let id: number;
    try {
      const queued = await demo.cli(['refresh', '--source', 'groups-source', '--target', 'groups-uat', '--yes', '--detach', '--json'], LEASE);
      assert.equal(queued.code, 0, queued.stderr + queued.stdout);
      id = (JSON.parse(queued.stdout) as Operation).id;
      assert.equal(await within(doomed.exited, 120_000, 'still running'), 'SIGKILL', doomed.output());
      assert.match(doomed.output(), /fault injected at verify:users-reenabled/);
    } finally {
      await doomed.stop();
    }
    const rescuer = await startWorker(demo.env(LEASE));
    try {
      const ended = await waitForEnd(demo, id);
      assert.equal(ended.state, 'succeeded', ended.error ?? '');
      assert.equal(ended.verificationPassed, true);
    } finally {
      await rescuer.stop();
    }
    const logs = await logMessages(demo, id);
    assert.match(logs, /the sanitize statements run again before it/);
    // The first worker died between its commit and its log line: the second one logs it.
    assert.equal(logs.match(/re-enabled 3 users/g)?.length, 1);
    const enabled = await demo.query<{ id: string }>('groups_uat_app', 'SELECT id FROM userinfo WHERE enable = 1 AND isserviceaccount = 0 ORDER BY id');
    assert.deepEqual(enabled.map((u) => u.id), ['Admin', 'u000007', 'u000008', 'u000012']);
  });

  test('a failing access statement fails the refresh before its cutover: the target keeps its data', async () => {
    // The source loses its group table: the groups statement cannot run on the next copy.
    await demo.query('groups_source_app', 'DROP TABLE usergrouplist');
    const before = await demo.checksums('groups_uat_app');
    const result = await demo.cli(['refresh', '--source', 'groups-source', '--target', 'groups-uat', '--yes', '--json', '--jobs', '2']);
    assert.equal(result.code, 13, result.stderr + result.stdout);
    const operation = JSON.parse(result.stdout) as Operation;
    assert.equal(operation.error?.step, 'verify');
    assert.match(operation.error?.message ?? '', /the profile's access\.groups statement failed on the staging copy: relation "usergrouplist" does not exist/);
    assert.deepEqual(await demo.checksums('groups_uat_app'), before, 'the target was not touched');
    const rolled = await demo.cli(['op', 'rollback', String(operation.id)]);
    assert.equal(rolled.code, 0, rolled.stderr);
  });
});
