import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT } from './helpers/cli.ts';

// Dependencies point inward: domain imports nothing of ours; the sample application, the
// adapters and the copy engine know nothing of use cases or interfaces; use cases know
// nothing of interfaces.
const FORBIDDEN: Record<string, string[]> = {
  domain: ['config', 'app', 'adapters', 'interfaces', 'sample'],
  // The API contract is shared by the server, the remote CLI and the web UI: zod and the domain only.
  contract: ['config', 'app', 'adapters', 'interfaces', 'sample', 'engine'],
  sample: ['config', 'app', 'interfaces'],
  adapters: ['app', 'interfaces', 'engine'],
  app: ['interfaces'],
  engine: ['config', 'app', 'interfaces'],
  config: ['app', 'adapters', 'interfaces', 'sample'],
};

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.ts')).map((f) => path.join(dir, f));
}

test('layers import only inward', () => {
  const src = path.join(ROOT, 'src');
  const violations: string[] = [];
  for (const file of sourceFiles(src)) {
    const layer = path.relative(src, file).split(path.sep)[0]!;
    const banned = FORBIDDEN[layer] ?? [];
    for (const [, specifier] of fs.readFileSync(file, 'utf8').matchAll(/from '(\.[^']+)'/g)) {
      const target = path.relative(src, path.resolve(path.dirname(file), specifier!)).split(path.sep)[0]!;
      if (banned.includes(target)) violations.push(`${path.relative(ROOT, file)} imports ${specifier}`);
    }
  }
  assert.deepEqual(violations, []);
});
