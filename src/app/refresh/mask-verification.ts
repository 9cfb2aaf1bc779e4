import { quoteIdent, quoteLiteral } from '../../adapters/postgres/sql-text.js';
import type { Mask } from '../../domain/profile/profile-schema.js';
import { maskExpression } from '../../engine/mask-sql.js';
import type { Queryable } from '../../ports/database-server.js';

/** How many of the source's rows a mask check looks up in the copy. */
const MASK_SAMPLE = 1000;

const q = quoteIdent;
const table = (schema: string, name: string) => `${q(schema)}.${q(name)}`;
const rows = (n: number): string => `${n} row${n === 1 ? '' : 's'}`;

export interface MaskCheckInput {
  readonly staging: Queryable;
  readonly source: Queryable;
  /** The salt the copy masked with: to work out which key a source row has in the copy. */
  readonly salt: string | undefined;
}

export interface MaskedColumn {
  readonly schema: string;
  readonly table: string;
  readonly column: string;
  readonly mask: Mask;
  /** "schema.table.column" of the referenced key whose mask this column got, if it was carried over. */
  readonly from?: string;
}

/**
 * Proves a mask: no source value survived. Rows of the source are matched with their rows in
 * the copy by primary key (a masked key is masked on the source side first, by the same SQL
 * as the copy, to find its row), and a row fails when the copy holds the source's value
 * although the mask changes it. A value the mask leaves as it is (a regex that does not match
 * it, noise that rounds away) is counted, not failed. Tables without a primary key: the
 * source's values are looked up among the copy's.
 */
export async function checkMaskedColumn(input: MaskCheckInput, target: MaskedColumn, masks: ReadonlyMap<string, Mask>): Promise<[boolean, string]> {
  const { mask } = target;
  const t = table(target.schema, target.table);
  const c = q(target.column);
  const where = mask.when ? ` AND ${q(mask.when.column)}::text = ${quoteLiteral(String(mask.when.equals))}` : '';
  const columns = await input.staging.query<{ column: string; type: string; key: boolean }>(
    `SELECT a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type,
            coalesce(a.attnum = ANY (i.indkey), false) AS key
       FROM pg_attribute a LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary
      WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped`,
    [t],
  );
  const typeOf = new Map(columns.rows.map((r) => [r.column, r.type]));
  const key = columns.rows.filter((r) => r.key).map((r) => r.column);
  if (mask.transformer === 'null' || mask.transformer === 'constant') {
    const expected = mask.transformer === 'null' ? 'IS NOT NULL' : `IS DISTINCT FROM ${quoteLiteral(mask.value)}`;
    const n = await count(input.staging, `SELECT count(*) FROM ${t} WHERE ${c}::text ${expected}${where}`);
    return [n === 0, n === 0 ? `every value is ${mask.transformer === 'null' ? 'null' : 'the constant'}` : `${n} values are not masked`];
  }
  if (key.length === 0 || input.salt === undefined) return lookUpValues(input, t, c, where);
  // The key of each sampled source row as the copy has it, the source's value and its mask.
  const keyList = key.map((k) => {
    const keyMask = masks.get(k);
    return keyMask ? maskExpression(k, typeOf.get(k) ?? 'text', keyMask, { salt: input.salt!, unique: true }) : q(k);
  });
  const sample = await input.source.query<{ k: string; v: string; m: string | null }>(
    `SELECT row(${keyList.join(', ')})::text AS k, ${c}::text AS v, (${maskExpression(target.column, typeOf.get(target.column) ?? 'text', mask, { salt: input.salt, unique: key.includes(target.column) || target.from !== undefined })})::text AS m
       FROM ${t} WHERE ${c} IS NOT NULL${where} LIMIT ${MASK_SAMPLE}`,
  );
  const copied = await input.staging.query<{ k: string; v: string | null }>(
    `SELECT row(${key.map(q).join(', ')})::text AS k, ${c}::text AS v FROM ${t} WHERE row(${key.map(q).join(', ')})::text = ANY($1)`,
    [sample.rows.map((r) => r.k)],
  );
  const inCopy = new Map(copied.rows.map((r) => [r.k, r.v]));
  let survived = 0;
  let unchanged = 0;
  let missing = 0;
  for (const row of sample.rows) {
    if (!inCopy.has(row.k)) missing++;
    else if (inCopy.get(row.k) === row.v) {
      if (row.m === row.v) unchanged++;
      else survived++;
    }
  }
  const checked = sample.rows.length - missing;
  const ok = survived === 0 && missing === 0;
  const via = target.from ? ` (the mask of ${target.from}, which it references)` : '';
  const kept = unchanged > 0 ? `; ${rows(unchanged)} the ${mask.transformer} mask leaves as it is` : '';
  const detail = ok
    ? `none of ${rows(checked)} checked by key holds its source value${via}${kept}`
    : `${survived > 0 ? `${rows(survived)} still hold their source value` : ''}${survived > 0 && missing > 0 ? ', ' : ''}${missing > 0 ? `${rows(missing)} of the source not found by key` : ''}${via}`;
  return [ok, detail];
}

/** No primary key: a sample of the source's values is looked up among the copy's. */
async function lookUpValues(input: MaskCheckInput, t: string, c: string, where: string): Promise<[boolean, string]> {
  const sample = await input.source.query<{ v: string }>(`SELECT DISTINCT ${c}::text AS v FROM ${t} WHERE ${c} IS NOT NULL${where} LIMIT ${MASK_SAMPLE}`);
  const values = sample.rows.map((r) => r.v);
  const found = values.length === 0 ? 0 : await count(input.staging, `SELECT count(*) FROM ${t} WHERE ${c}::text = ANY($1)`, [values]);
  return [found === 0, found === 0 ? `none of ${values.length} source values checked is in the copy` : `${found} source values remain`];
}

/**
 * The columns a masked key's mask carried over to: those that reference it by foreign key in
 * the copy, and those that reference them, and so on (engine/key-masks.ts does the same on the
 * source when it plans the copy).
 */
export async function carriedMasks(staging: Queryable, masked: readonly MaskedColumn[]): Promise<MaskedColumn[]> {
  const result: MaskedColumn[] = [];
  const seen = new Set(masked.map((m) => `${m.schema}.${m.table}.${m.column}`));
  const queue = masked.filter((m) => m.mask.when === undefined);
  for (let item = queue.shift(); item; item = queue.shift()) {
    const refs = await staging.query<{ schema: string; table: string; column: string }>(
      `SELECT n.nspname AS schema, c.relname AS table, a.attname AS column
         FROM pg_constraint f
         JOIN pg_class c ON c.oid = f.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
         JOIN pg_attribute pa ON pa.attrelid = f.confrelid AND pa.attname = $2
         JOIN LATERAL unnest(f.conkey, f.confkey) AS k(child, parent) ON k.parent = pa.attnum
         JOIN pg_attribute a ON a.attrelid = f.conrelid AND a.attnum = k.child
        WHERE f.contype = 'f' AND f.confrelid = $1::regclass AND c.relkind = 'r'`,
      [table(item.schema, item.table), item.column],
    );
    for (const ref of refs.rows) {
      const name = `${ref.schema}.${ref.table}.${ref.column}`;
      if (seen.has(name)) continue;
      seen.add(name);
      const carried = { ...ref, mask: item.mask, from: item.from ?? `${item.schema}.${item.table}.${item.column}` };
      result.push(carried);
      queue.push(carried);
    }
  }
  return result;
}

async function count(client: Queryable, sql: string, values: unknown[] = []): Promise<number> {
  const result = await client.query(sql, values);
  const first = result.rows[0];
  return Number(first === undefined ? 0 : (Object.values(first)[0] ?? 0));
}
