#!/usr/bin/env node
// Runs the whole test suite on node's test runner against a real PostgreSQL server: the one
// named by DATAALM_TEST_DATABASE_URL (a superuser URL), or else a private embedded server
// started here in a temporary folder and stopped at the end.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openEmbeddedServer } from '../dist/adapters/embedded/embedded-server.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const testDir = path.join(root, 'test');
const files = fs
  .readdirSync(testDir, { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.test.ts') && (process.argv.length <= 2 || process.argv.slice(2).some((a) => f.includes(a))))
  .sort()
  .map((f) => path.join('test', f));

let server;
let home;
const env = { ...process.env };
if (!env.DATAALM_TEST_DATABASE_URL) {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'dataalm-test-server-'));
  fs.chmodSync(home, 0o755);
  server = await openEmbeddedServer({ home });
  env.DATAALM_TEST_DATABASE_URL = server.adminUrl;
  process.stderr.write(`test server: embedded PostgreSQL on 127.0.0.1:${server.port}\n`);
}

const child = spawn(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-timeout=300000', ...files],
  { cwd: root, env, stdio: 'inherit' },
);
const code = await new Promise((resolve) => child.once('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
await server?.release();
if (home) fs.rmSync(home, { recursive: true, force: true });
process.exit(code);
