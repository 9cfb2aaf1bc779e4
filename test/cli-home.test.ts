import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BIN, type CliResult, cliEnv } from './helpers/cli.ts';
import { signIn } from './helpers/http-client.ts';
import { freePort } from './helpers/service.ts';
import { waitFor } from './helpers/wait.ts';

// One project per machine: without DATAALM_HOME, the real CLI run from any folder works on
// the user's ~/.dataalm, so a second shell finds the service a first one started; a command
// that creates a project says where; DATAALM_HOME and a folder's own .dataalm keep working as
// before. HOME and every folder are under the test run's temporary folder.

const OWNER_PASSWORD = 'owner-password-for-home-1';
const MIA_PASSWORD = 'mia-password-for-home-1';
const CREATED = /dataalm: created a new project in (\S+):/;

describe('the project a command works on', () => {
  let root: string;

  /** A new folder under the test's own. */
  const folder = (...names: string[]) => {
    const dir = path.join(root, ...names);
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
    return dir;
  };

  /** The real CLI in `cwd` with HOME at `home` and no DATAALM_HOME (unless `extra` sets it). */
  function run(cwd: string, home: string, args: string[], extra: Record<string, string> = {}, input?: string): Promise<CliResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [BIN, ...args], { cwd, env: cliEnv({ HOME: home, ...extra }), stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
      child.stdin?.end(input);
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
      child.once('error', reject);
      child.once('exit', (code) => resolve({ code, stdout, stderr }));
    });
  }

  before(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'dataalm-cli-home-'));
    // The embedded servers run as another user when the tests run as root: they must reach their homes.
    fs.chmodSync(root, 0o755);
  });

  after(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('a service started in one folder is found by a command run in another, without DATAALM_HOME', async () => {
    const home = folder('ann');
    const first = folder('work', 'shell-one');
    const second = folder('elsewhere', 'shell-two');
    const port = await freePort();
    const service: ChildProcess = spawn(process.execPath, [BIN, 'start', '--no-worker'], {
      cwd: first,
      env: cliEnv({ HOME: home, DATAALM_PORT: String(port), DATAALM_DEMO: 'false', DATAALM_ADMIN_PASSWORD: OWNER_PASSWORD }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    service.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    service.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => service.once('exit', (code) => resolve(code)));
    try {
      await waitFor('dataalm start to come up', () => {
        if (service.exitCode !== null) throw new Error(`dataalm start exited early:\n${output}`);
        return output.includes('dataalm is running at');
      }, { timeoutMs: 180_000 });
      assert.equal(CREATED.exec(output)?.[1], path.join(home, '.dataalm'), `the first start says where its new project lives:\n${output}`);

      // A second shell, in another folder, with no setting: the same project, through the running service's server.
      const added = await run(second, home, ['user', 'add', 'mia', '--role', 'manager', '--password-stdin'], {}, `${MIA_PASSWORD}\n`);
      assert.equal(added.code, 0, added.stderr);
      assert.doesNotMatch(added.stderr, CREATED, 'no new project is made next to the running one');
      const session = await signIn(`http://127.0.0.1:${port}`, 'mia', MIA_PASSWORD);
      assert.ok(session.cookie, 'the service knows the user the second shell added');
      const listed = await run(second, home, ['env', 'list', '--json']);
      assert.equal(listed.code, 0, listed.stderr);
      assert.deepEqual(JSON.parse(listed.stdout), []);
      assert.deepEqual([first, second].filter((dir) => fs.existsSync(path.join(dir, '.dataalm'))), [], 'no folder got a project of its own');
    } finally {
      if (service.exitCode === null) service.kill('SIGTERM');
      await exited;
    }
  });

  test('a command run in an empty folder that creates a project says where it lives, once', async () => {
    const home = folder('bob');
    const empty = folder('new-folder');
    const created = await run(empty, home, ['env', 'list']);
    assert.equal(created.code, 0, created.stderr);
    assert.equal(CREATED.exec(created.stderr)?.[1], path.join(home, '.dataalm'), created.stderr);
    assert.match(created.stderr, /this user's default project, which every dataalm command uses from any folder; set DATAALM_HOME to use another folder/);
    assert.ok(!fs.existsSync(path.join(empty, '.dataalm')), 'the folder the command ran in is left as it was');
    const again = await run(folder('another-folder'), home, ['env', 'list']);
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stderr, CREATED, 'the project exists now: nothing to say');
  });

  test('DATAALM_HOME, and a folder that has its own .dataalm, keep their project where it is', async () => {
    const home = folder('carol');
    const chosen = folder('chosen');
    const set = await run(chosen, home, ['env', 'list'], { DATAALM_HOME: 'project' });
    assert.equal(set.code, 0, set.stderr);
    assert.ok(fs.existsSync(path.join(chosen, 'project', 'pg')), 'DATAALM_HOME is relative to the current folder, as before');
    assert.doesNotMatch(set.stderr, CREATED, 'with DATAALM_HOME the output is as before');

    const older = folder('older');
    folder('older', '.dataalm');
    const kept = await run(older, home, ['env', 'list']);
    assert.equal(kept.code, 0, kept.stderr);
    assert.equal(CREATED.exec(kept.stderr)?.[1], path.join(older, '.dataalm'), kept.stderr);
    assert.ok(!fs.existsSync(path.join(home, '.dataalm')), "the user's default project is not touched");
  });
});
