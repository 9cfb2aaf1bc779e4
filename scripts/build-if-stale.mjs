#!/usr/bin/env node
// `npm start` builds only what changed: it runs `npm run build` when a source of the build
// (src/, web/, tsconfig.json, package.json, package-lock.json) is newer than the stamp the
// last full build left in dist/, or when the stamp or the web bundle is missing. So a second
// start goes straight to the service.
//   node scripts/build-if-stale.mjs           build when stale
//   node scripts/build-if-stale.mjs --stamp   record that a full build just finished
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const stamp = path.join(root, 'dist', '.build-stamp');
const outputs = [path.join(root, 'dist', 'interfaces', 'cli', 'main.js'), path.join(root, 'dist', 'web', 'index.html')];
const inputs = ['src', 'web', 'tsconfig.json', 'package.json', 'package-lock.json'];

if (process.argv.includes('--stamp')) {
  fs.writeFileSync(stamp, `${new Date().toISOString()}\n`);
  process.exit(0);
}

/** The newest modification time under `file` (a file or a folder), skipping dependencies. */
function newest(file) {
  let stat;
  try {
    stat = fs.statSync(file);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let latest = stat.mtimeMs; // a deleted or renamed file changes its folder
  for (const entry of fs.readdirSync(file)) {
    if (entry === 'node_modules' || entry === 'dist') continue;
    latest = Math.max(latest, newest(path.join(file, entry)));
  }
  return latest;
}

function stale() {
  if (!outputs.every((file) => fs.existsSync(file))) return 'no build yet';
  let built;
  try {
    built = fs.statSync(stamp).mtimeMs;
  } catch {
    return 'no record of a full build';
  }
  const changed = inputs.find((input) => newest(path.join(root, input)) > built);
  return changed === undefined ? undefined : `${changed} changed`;
}

const reason = stale();
if (reason === undefined) {
  process.stderr.write('dataalm: build is up to date\n');
  process.exit(0);
}
process.stderr.write(`dataalm: building (${reason})\n`);
const npm = process.env.npm_execpath;
const result = npm
  ? spawnSync(process.execPath, [npm, 'run', 'build', '--silent'], { cwd: root, stdio: 'inherit' })
  : spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
