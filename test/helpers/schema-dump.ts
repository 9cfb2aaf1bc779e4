import { spawnSync } from 'node:child_process';
import { findPgTools, libpqEnv } from '../../src/adapters/postgres/pg-tools.ts';

/**
 * pg_dump's schema text WITH owners and grants (no --no-owner, no --no-acl), without the
 * lines that name versions or carry a random key. `dropTypes` leaves out entries of those
 * types (e.g. USER MAPPING, which a copy never carries).
 */
export function fullSchemaDump(url: string, dropTypes: readonly string[] = []): string {
  const tools = findPgTools({ source: 15, target: 15 }, process.env.DATAALM_PG_BIN);
  const env = libpqEnv(url);
  const result = spawnSync(tools.pgDump, ['--schema-only', `--dbname=${env.PGDATABASE}`], { env, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`pg_dump failed: ${result.stderr}`);
  const text = result.stdout
    .split('\n')
    .filter((line) => !/^-- Dumped (from|by)/.test(line) && !/^\\(un)?restrict /.test(line))
    .join('\n');
  if (dropTypes.length === 0) return text;
  // Entries start at "--\n-- Name: …; Type: T; …\n--\n" blocks.
  return text
    .split(/(?=^--\n-- Name: )/m)
    .filter((block) => !dropTypes.some((type) => block.startsWith(`--\n-- Name: `) && block.split('\n')[1]!.includes(`; Type: ${type}; `)))
    .join('');
}
