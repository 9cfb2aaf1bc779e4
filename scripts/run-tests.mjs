#!/usr/bin/env node
// Runs the test suite (or the files whose path contains one of the arguments) on node's test
// runner against a real PostgreSQL server: the one named by DATAALM_TEST_DATABASE_URL (a
// superuser URL), or else a private embedded server started here and stopped at the end.
//
// Global setup, once per run:
// - a run folder: the test files and every process they start get it as TMPDIR (and as
//   DATAALM_TEST_TMP), so all the run makes is under it and nothing else on the machine counts;
// - the demo project, made once in a template home there (server stopped); startDemo gives
//   each file its own copy (test/helpers/demo-template.ts).
// Afterwards: each file's time, the fault points survived over all files, and a check that
// no process or temporary folder of the run is left; if one is, it is named, ended and
// removed, and the run fails. The TAP summary of node's test runner comes last.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { openEmbeddedServer } from '../dist/adapters/embedded/embedded-server.js';
import { FAULT_POINTS } from '../dist/domain/faults.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const testDir = path.join(root, 'test');
// --typecheck: type-check the tests and the web UI (npm run typecheck) while the demo
// template is made and the files run, instead of before them; a type error fails the run.
const typecheck = process.argv.includes('--typecheck');
const filters = process.argv.slice(2).filter((a) => a !== '--typecheck');
// Files at once. Most of a file's time is waiting (servers starting, leases running out,
// processes exiting), so three share two cores well. (Default: 3; DATAALM_TEST_CONCURRENCY.)
const concurrency = Math.max(1, Number(process.env.DATAALM_TEST_CONCURRENCY ?? 3) || 3);
const files = fs
  .readdirSync(testDir, { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.test.ts') && (filters.length === 0 || filters.some((a) => f.includes(a))))
  .sort()
  .map((f) => path.join('test', f));
// Longest files first, by their times in the last run (kept under node_modules/.cache), so that
// the two files running at once end about together; files without a time go first.
const timesCache = path.join(root, 'node_modules', '.cache', 'dataalm-test-times.json');
const lastTimes = readJson(timesCache) ?? {};
files.sort((a, b) => (lastTimes[b] ?? Infinity) - (lastTimes[a] ?? Infinity) || a.localeCompare(b));

const startedAt = Date.now();
const runDir = fs.mkdtempSync(path.join(os.tmpdir(), 'dataalm-test-run-'));
// The embedded servers run as another user when this runs as root: they must reach their homes.
fs.chmodSync(runDir, 0o755);
const own = new Set(['test-server', 'demo-template', 'file-times.jsonl']);
// tsx keeps its compile cache in TMPDIR/tsx-<uid>: the run keeps using the usual one.
const tsxCache = `tsx-${os.userInfo().uid}`;
fs.mkdirSync(path.join(os.tmpdir(), tsxCache), { recursive: true, mode: 0o700 });
fs.symlinkSync(path.join(os.tmpdir(), tsxCache), path.join(runDir, tsxCache));
own.add(tsxCache);
const timesFile = path.join(runDir, 'file-times.jsonl');
const processesBefore = new Set(listProcesses().map((p) => p.pid));

const env = { ...process.env, TMPDIR: runDir, DATAALM_TEST_TMP: runDir };
/** Lines of node's closing summary (`# tests N` …), printed after the runner's own report. */
const summary = [];
let server;
let code = 1;
// Its own output is kept and shown only when it fails, so the test report stays readable.
const typechecked = typecheck ? runQuietly('npm', ['run', 'typecheck', '--silent']) : Promise.resolve({ code: 0, output: '' });
try {
  const usesDemo = files.some((f) => /\b(startDemo|describeFaults)\(/.test(fs.readFileSync(path.join(root, f), 'utf8')));
  await Promise.all([
    (async () => {
      if (env.DATAALM_TEST_DATABASE_URL) return;
      server = await openEmbeddedServer({ home: path.join(runDir, 'test-server') });
      env.DATAALM_TEST_DATABASE_URL = server.adminUrl;
      process.stderr.write(`test server: embedded PostgreSQL on 127.0.0.1:${server.port}\n`);
    })(),
    (async () => {
      if (!usesDemo) return;
      const began = Date.now();
      const template = path.join(runDir, 'demo-template', 'home');
      const built = await run(process.execPath, ['--import', 'tsx', 'test/helpers/demo-template.ts', template], env);
      if (built !== 0) throw new Error('the demo template could not be made (see above)');
      env.DATAALM_TEST_DEMO_TEMPLATE = template;
      process.stderr.write(`demo template: made once in ${seconds(Date.now() - began)}; each test file gets a copy\n`);
    })(),
  ]);
  code = await runTests();
  const types = await typechecked;
  process.stderr.write(`type check of the tests and the web UI: ${types.code === 0 ? 'ok' : 'FAILED'}\n`);
  if (types.code !== 0) {
    process.stderr.write(types.output);
    summary.unshift('not ok - npm run typecheck\n');
    code = code || 1;
  }
} catch (error) {
  process.stderr.write(`${error.stack ?? error}\n`);
  code = 1;
} finally {
  await server?.release().catch((error) => process.stderr.write(`stopping the test server: ${error.message}\n`));
  if (!checkNothingLeft()) code = code || 1;
  fs.rmSync(runDir, { recursive: true, force: true });
}
process.stderr.write(`wall time: ${seconds(Date.now() - startedAt)}\n`);
process.stdout.write(summary.join(''));
process.exit(code);

async function runTests() {
  const child = spawn(
    process.execPath,
    [
      '--import', 'tsx',
      // Each test file's process writes its duration to file-times.jsonl as it exits.
      '--import', './scripts/test-file-clock.mjs',
      '--test', `--test-concurrency=${concurrency}`, '--test-timeout=600000',
      '--test-reporter=tap', '--test-reporter-destination=stdout',
      ...files,
    ],
    { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  // Interrupted: the test runner ends its files, and the check below still runs.
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  const survived = { n: 0, of: 0 };
  let inSummary = false;
  const lines = readline.createInterface({ input: child.stdout });
  const closed = new Promise((resolve) => lines.once('close', resolve));
  lines.on('line', (line) => {
    const counted = /fault points survived: (\d+) of (\d+)/.exec(line);
    if (counted) {
      survived.n += Number(counted[1]);
      survived.of += Number(counted[2]);
    }
    if (/^# tests \d+/.test(line)) inSummary = true;
    if (inSummary) summary.push(`${line}\n`);
    else process.stdout.write(`${line}\n`);
  });
  const exitCode = await new Promise((resolve) => child.once('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
  await closed;
  reportFileTimes();
  if (survived.of > 0) {
    const part = survived.of === FAULT_POINTS.length ? '' : ` (the fault files run cover ${survived.of} of the ${FAULT_POINTS.length} points)`;
    process.stdout.write(`# fault points survived: ${survived.n} of ${survived.of}${part}\n`);
  }
  return exitCode;
}

function reportFileTimes() {
  const times = new Map();
  if (fs.existsSync(timesFile)) {
    for (const line of fs.readFileSync(timesFile, 'utf8').split('\n').filter(Boolean)) {
      const t = JSON.parse(line);
      times.set(t.file, t.ms);
    }
  }
  try {
    fs.mkdirSync(path.dirname(timesCache), { recursive: true });
    fs.writeFileSync(timesCache, `${JSON.stringify({ ...lastTimes, ...Object.fromEntries(times) }, null, 1)}\n`);
  } catch {
    // only an ordering hint
  }
  const width = Math.max(...files.map((f) => f.length));
  process.stderr.write(`time per test file (its own process, start to exit; ${concurrency} run at once):\n`);
  for (const f of [...files].sort((a, b) => (times.get(b) ?? Infinity) - (times.get(a) ?? Infinity))) {
    process.stderr.write(`  ${f.padEnd(width)}  ${times.has(f) ? seconds(times.get(f)).padStart(7) : '   none: it did not exit by itself'}\n`);
  }
}

/**
 * Whatever the run started must be gone: processes whose command line or environment names
 * the run folder (embedded servers of test homes, `dataalm` commands and workers, browsers),
 * and files in the run folder other than the runner's own.
 */
function checkNothingLeft() {
  let clean = true;
  const left = listProcesses().filter((p) => !processesBefore.has(p.pid) && p.pid !== process.pid && p.mentions(runDir));
  if (left.length > 0) {
    clean = false;
    process.stderr.write(`the tests left ${left.length} process(es) running; ending them:\n`);
    for (const p of left) {
      process.stderr.write(`  ${p.pid} ${p.command.slice(0, 200)}\n`);
      try {
        process.kill(p.pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    // Before their folders are removed.
    const deadline = Date.now() + 10_000;
    while (left.some((p) => fs.existsSync(`/proc/${p.pid}`)) && Date.now() < deadline) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
  }
  const entries = fs.existsSync(runDir) ? fs.readdirSync(runDir).filter((e) => !own.has(e)) : [];
  if (entries.length > 0) {
    clean = false;
    process.stderr.write(`the tests left ${entries.length} temporary folder(s) or file(s) in ${runDir}; removing them:\n`);
    for (const e of entries) process.stderr.write(`  ${e}\n`);
  }
  if (!clean) process.stderr.write('not ok: the suite must clean up after itself (in finally blocks or after hooks)\n');
  return clean;
}

/** Processes of this machine as /proc shows them (those of other users may be unreadable). */
function listProcesses() {
  const found = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline;
    let environ = '';
    try {
      cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ').trim();
    } catch {
      continue;
    }
    try {
      environ = fs.readFileSync(`/proc/${entry}/environ`, 'utf8');
    } catch {
      // not ours to read
    }
    found.push({
      pid: Number(entry),
      command: cmdline,
      mentions: (folder) => cmdline.includes(folder) || environ.split('\0').some((v) => v.includes(`=${folder}`)),
    });
  }
  return found;
}

function run(command, args, environment) {
  const child = spawn(command, args, { cwd: root, env: environment, stdio: ['ignore', 'inherit', 'inherit'] });
  return new Promise((resolve) => child.once('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function seconds(ms) {
  return `${(ms / 1000).toFixed(1)} s`;
}

/** Runs a command with its output kept: resolves with its exit code and what it printed. */
function runQuietly(command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    child.once('error', (error) => resolve({ code: 1, output: `${error.message}\n` }));
    child.once('exit', (c, signal) => resolve({ code: c ?? (signal ? 1 : 0), output }));
  });
}
