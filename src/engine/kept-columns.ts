import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom, to as copyTo } from 'pg-copy-streams';
import type { CopyPlan } from './copy-plan.js';
import { quoteIdent } from './mask-sql.js';

/**
 * keep-target on columns: the copy holds the source's rows with those columns already
 * replaced; here the target's own values are written back, matched by primary key.
 */
export async function applyKeptColumns(plan: CopyPlan, target: pg.ClientBase, keepFrom: pg.ClientBase): Promise<void> {
  for (const table of plan.tables.filter((t) => t.mode === 'keep-columns')) {
    const key = table.primaryKey.map(quoteIdent);
    const kept = table.keepColumns.map(quoteIdent);
    const list = [...key, ...kept].join(', ');
    await target.query(`CREATE TEMP TABLE dataalm_kept AS SELECT ${list} FROM ONLY ${table.qualifiedName} WITH NO DATA`);
    try {
      await pipeline(
        keepFrom.query(copyTo(`COPY (SELECT ${list} FROM ONLY ${table.qualifiedName}) TO STDOUT`)),
        target.query(copyFrom(`COPY dataalm_kept (${list}) FROM STDIN`)),
      );
      const assignments = kept.map((c) => `${c} = k.${c}`).join(', ');
      const match = key.map((c) => `t.${c} = k.${c}`).join(' AND ');
      await target.query(`UPDATE ONLY ${table.qualifiedName} AS t SET ${assignments} FROM dataalm_kept AS k WHERE ${match}`);
    } finally {
      await target.query('DROP TABLE IF EXISTS dataalm_kept');
    }
  }
}
