import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './cli.ts';

/**
 * test/fixtures/every-object.sql for a server of `major`: a line ending in "-- since N"
 * is left out when major < N (multiranges, SQL-standard bodies, publication row filters …).
 */
export function everyObjectSql(major = 15): string {
  return fs
    .readFileSync(path.join(ROOT, 'test', 'fixtures', 'every-object.sql'), 'utf8')
    .split('\n')
    .filter((line) => {
      const since = /-- since (\d+)$/.exec(line);
      return since === null || major >= Number(since[1]);
    })
    .join('\n');
}
