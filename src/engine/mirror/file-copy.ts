import type pg from 'pg';

/**
 * CREATE DATABASE `what` as a copy of the template's files, as the server copies files: on
 * PostgreSQL 18 a server whose file_copy_method is `clone` has the file system clone them
 * (a copy-on-write file system shares the blocks: a fraction of a second whatever the size;
 * elsewhere it is a plain copy, and slower than PostgreSQL's own, so it is the server's
 * administrator's choice, not dataalm's). Says which method the server used.
 */
export async function cloneDatabase(admin: pg.Client, major: number, what: string): Promise<'clone' | 'copy'> {
  await admin.query(`CREATE DATABASE ${what}${major >= 150000 ? ' STRATEGY FILE_COPY' : ''}`);
  if (major < 180000) return 'copy';
  const method = await admin.query<{ m: string }>(`SELECT current_setting('file_copy_method') AS m`);
  return method.rows[0]!.m === 'clone' ? 'clone' : 'copy';
}
