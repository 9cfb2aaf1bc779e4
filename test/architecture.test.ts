import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ROOT } from './helpers/cli.ts';

/**
 * Dependencies point inward. The domain imports nothing of ours; the ports (what the
 * application needs of a server) only the domain; the sample application, the adapters and
 * the copy engine know nothing of use cases or interfaces; use cases know nothing of
 * interfaces, and the interfaces reach adapters and the engine only through src/app.
 */
const FORBIDDEN: Record<string, readonly string[]> = {
  domain: ['config', 'app', 'adapters', 'interfaces', 'sample', 'engine', 'ports', 'contract'],
  ports: ['config', 'app', 'adapters', 'interfaces', 'sample', 'engine'],
  // The API contract is shared by the server, the remote CLI and the web UI: zod and the domain only.
  contract: ['config', 'app', 'adapters', 'interfaces', 'sample', 'engine', 'ports'],
  sample: ['config', 'app', 'interfaces'],
  adapters: ['app', 'interfaces', 'engine'],
  app: ['interfaces'],
  engine: ['config', 'app', 'interfaces'],
  config: ['app', 'adapters', 'interfaces', 'sample'],
  interfaces: ['adapters', 'engine'],
};

/** Layers that talk to servers only through the ports: no database driver of their own. */
const NO_DRIVER: readonly string[] = ['domain', 'ports', 'app'];
const DRIVERS = ['pg', 'pg-copy-streams'];

function sourceFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => path.join(dir, f));
}

/** Every import of `src` that breaks the rules, as "file imports specifier". */
export function violations(src: string): string[] {
  const found: string[] = [];
  for (const file of sourceFiles(src)) {
    const layer = path.relative(src, file).split(path.sep)[0]!;
    const banned = FORBIDDEN[layer] ?? [];
    const text = fs.readFileSync(file, 'utf8');
    for (const [, specifier] of text.matchAll(/(?:from|import)\s*\(?\s*'([^']+)'/g)) {
      const name = specifier!;
      if (name.startsWith('.')) {
        const target = path.relative(src, path.resolve(path.dirname(file), name)).split(path.sep)[0]!;
        if (banned.includes(target)) found.push(`${path.relative(src, file)} imports ${name}`);
      } else if (NO_DRIVER.includes(layer) && DRIVERS.includes(name)) {
        found.push(`${path.relative(src, file)} imports ${name}`);
      }
    }
  }
  return found.sort();
}

test('layers import only inward, and only adapters and the engine use the database driver', () => {
  assert.deepEqual(violations(path.join(ROOT, 'src')), []);
});

test('the rules catch a wrong import (a test of the test)', () => {
  const src = fs.mkdtempSync(path.join(os.tmpdir(), 'dataalm-architecture-'));
  try {
    const write = (file: string, text: string) => {
      fs.mkdirSync(path.dirname(path.join(src, file)), { recursive: true });
      fs.writeFileSync(path.join(src, file), text);
    };
    write('domain/rule.ts', "export const rule = 1;\n");
    write('adapters/store/store.ts', "import { rule } from '../../domain/rule.js';\nexport const store = rule;\n");
    write('app/use-case.ts', "import { store } from '../adapters/store/store.js';\nexport const useCase = store;\n");
    write('interfaces/cli/ok.ts', "import { useCase } from '../../app/use-case.js';\nexport const ok = useCase;\n");
    assert.deepEqual(violations(src), [], 'a tree that keeps the rules passes');
    write('interfaces/cli/wrong.ts', "import { store } from '../../adapters/store/store.js';\nexport const wrong = store;\n");
    write('app/driver.ts', "import pg from 'pg';\nexport const driver = pg;\n");
    write('domain/up.ts', "import type { useCase } from '../app/use-case.js';\nexport type Up = typeof useCase;\n");
    assert.deepEqual(violations(src), [
      "app/driver.ts imports pg",
      "domain/up.ts imports ../app/use-case.js",
      "interfaces/cli/wrong.ts imports ../../adapters/store/store.js",
    ]);
  } finally {
    fs.rmSync(src, { recursive: true, force: true });
  }
});

test('no file under src/ holds more than 400 lines', () => {
  const long = sourceFiles(path.join(ROOT, 'src'))
    .map((file) => ({ file: path.relative(ROOT, file), lines: fs.readFileSync(file, 'utf8').trimEnd().split('\n').length }))
    .filter((f) => f.lines > 400);
  assert.deepEqual(long, []);
});
