// The huge-catalog benchmark (bench/huge-catalog.ts) at a tiny size: it builds both source
// cases on its own server at the default lock settings, runs every method, prints pasteable
// tables and JSON, and leaves nothing behind, whether it ends normally or is stopped.
// Starts its own embedded server; needs no test database.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { ROOT } from './helpers/cli.js';
import { waitFor } from './helpers/wait.js';

const HOME_PREFIX = 'dataalm-bench-catalog-';

interface Running {
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  readonly output: () => { stdout: string; stderr: string };
}

function startBench(args: string[]): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/huge-catalog.ts', ...args], { cwd: ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
  return { child, exited, output: () => ({ stdout, stderr }) };
}

const benchHomes = () => fs.readdirSync(os.tmpdir()).filter((f) => f.startsWith(HOME_PREFIX));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('huge-catalog benchmark', () => {
  test('a tiny run copies both cases with every method, prints the tables and removes everything', async () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-catalog-out-')), 'results.json');
    try {
      const bench = startBench(['--tables', '12', '--partitions', '6', '--rounds', '1', '--single-transaction', '--out', out]);
      const code = await bench.exited;
      const { stdout, stderr } = bench.output();
      assert.equal(code, 0, stderr);
      const report = JSON.parse(fs.readFileSync(out, 'utf8')) as {
        server: string;
        summary: { case: string; method: string; succeeded: number; dataalmRatio: number | null }[];
        runs: { ok: boolean; error: string | null; loadBefore: number }[];
      };
      assert.match(report.server, /max_locks_per_transaction 64, max_connections 100/);
      assert.equal(report.runs.length, 8, 'two cases × four methods × one round');
      for (const run of report.runs) assert.ok(run.ok, run.error ?? '');
      assert.deepEqual(
        report.summary.map((s) => `${s.case}: ${s.method}`),
        ['12 tables', '6 partitions'].flatMap((c) => [
          `${c}: dataalm copy --profile plain --jobs 2`,
          `${c}: pg_dump -Fd -j 2 -Z0 + pg_restore -j 2`,
          `${c}: pg_dump -Fc -Z0 + pg_restore -j 2`,
          `${c}: pg_dump -Fc | pg_restore --single-transaction`,
        ]),
      );
      for (const s of report.summary) assert.ok(s.dataalmRatio !== null && s.dataalmRatio > 0);
      // The tables as they go into docs/benchmarks.md: 12 tables are 48 relations (table,
      // sequence, primary key, index); a pipe inside a cell is escaped.
      assert.match(stdout, /\| case \| method \| succeeded \| runs \(s\) \| median s \| dataalm ÷ method \|/);
      assert.match(stdout, /\| 12 tables \(48 relations\) \| dataalm copy --profile plain --jobs 2 \| 1\/1 \|/);
      assert.match(stdout, /pg_dump -Fc \\\| pg_restore --single-transaction/);
      assert.deepEqual(benchHomes(), []);
    } finally {
      fs.rmSync(path.dirname(out), { recursive: true, force: true });
    }
  });

  test('stopped during the rounds, it stops its server and removes its folder', async () => {
    const bench = startBench(['--tables', '200', '--partitions', '0', '--rounds', '5', '--out', path.join(os.tmpdir(), 'never-written.json')]);
    try {
      await waitFor('the first round', () => bench.output().stderr.includes('round 1:'), { timeoutMs: 120_000 });
      const [home] = benchHomes();
      assert.ok(home, 'the benchmark works in a temporary folder');
      const postmaster = Number(fs.readFileSync(path.join(os.tmpdir(), home, 'pg', 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
      assert.ok(alive(postmaster));
      bench.child.kill('SIGTERM');
      assert.equal(await bench.exited, 143, bench.output().stderr);
      assert.match(bench.output().stderr, /SIGTERM: stopping/);
      assert.equal(alive(postmaster), false, 'the server is stopped');
      assert.deepEqual(benchHomes(), []);
      assert.equal(fs.existsSync(path.join(os.tmpdir(), 'never-written.json')), false);
    } finally {
      if (bench.child.exitCode === null) bench.child.kill('SIGKILL');
      await bench.exited;
    }
  });
});
