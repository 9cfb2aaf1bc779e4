import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { quoteIdent } from '../../adapters/postgres/sql-text.js';
import type { VerificationCheck } from '../../domain/operation.js';
import type { Mask, Profile } from '../../domain/profile/profile-schema.js';
import { maskExpression } from '../../engine/mask-sql.js';
import { type MaskedColumn, carriedMasks, checkMaskedColumn } from './mask-verification.js';
import type { Queryable } from '../../ports/database-server.js';
import { CANONICAL_SETTINGS } from '../../engine/copy-verify.js';

export interface VerificationInput {
  readonly profile: Profile;
  readonly administrator: string;
  /** The staging copy, about to go live. */
  readonly staging: Queryable;
  /** The source, for looking up values that must not have arrived. */
  readonly source: Queryable;
  /** The installation's masking key (the salt when the profile names none): masked keys are matched through it. */
  readonly maskKey?: string;
}

/**
 * The keep-target rules, checked on the finished copy against the target's snapshot the
 * kept rows were read in (the target stays in use during a refresh; what its users change
 * after the snapshot is not in the new database, as the preview says).
 */
export async function verifyKept(
  profile: Profile,
  maskKey: string,
  staging: Queryable,
  target: Queryable,
  /** Tables ("schema.table") already found equal on both sides, with their digest as "rows:digest" (a mirror's clone). */
  known: ReadonlyMap<string, string> = new Map(),
): Promise<{ checks: VerificationCheck[]; digests: Record<string, string>; horizon: string }> {
  const checks: VerificationCheck[] = [];
  const stagingDigests: Record<string, string> = {};
  const add = (rule: string, description: string, ok: boolean, detail: string) =>
    checks.push({ rule, description, status: ok ? 'passed' : 'failed', detail });
  for (const rule of profile.rules) {
    if (rule.action !== 'keep-target') continue;
    const name = table(rule.schema, rule.table);
    const label = `${rule.schema}.${rule.table}`;
    const description = rule.reason ?? `keep-target ${label}`;
    try {
      if (rule.columns === undefined) {
        // Two servers (or two databases): read side by side.
        const same = known.get(label);
        const equal = same === undefined ? undefined : { rows: Number(same.split(':')[0]), digest: same.slice(same.indexOf(':') + 1) };
        const [kept, theirs] = equal ? [equal, equal] : await Promise.all([tableDigest(staging, name), tableDigest(target, name)]);
        stagingDigests[label] = `${kept.rows}:${kept.digest}`;
        const ok = kept.digest === theirs.digest && kept.rows === theirs.rows;
        add(`keep-target:${label}`, description, ok, ok ? `${kept.rows === 1 ? 'the 1 row is' : `all ${kept.rows} rows are`} the target's own` : `the copy has ${rows(kept.rows)}, the target ${theirs.rows}, and they differ`);
      } else {
        add(`keep-target:${label}`, description, ...(await checkKeptColumns({ staging, target, maskKey }, rule.schema, rule.table, rule.columns, rule.otherwise)));
      }
    } catch (error) {
      add(`keep-target:${label}`, description, false, `could not be checked: ${(error as Error).message}`);
    }
  }
  // The same digests of the copy, to tell later whether the kept data changed after this check;
  // and the first transaction id after it: a row written later has one at least as new.
  const horizon = await staging.query<{ h: string }>('SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS h');
  return { checks, digests: await keptDigests(profile, staging, stagingDigests), horizon: horizon.rows[0]!.h };
}

const q = quoteIdent;
const table = (schema: string, name: string) => `${q(schema)}.${q(name)}`;
const usesAdministrator = (sql: string) => /\$1\b/.test(sql);
/**
 * An order-independent digest of a set of rows: the sum of each row's 64-bit hash. No sort,
 * so it costs one pass whatever the collation (sorting long texts was the slow part). It
 * tells the target's kept rows from what a copy holds, which nobody chooses to collide, so
 * hashtextextended serves (5 to 9 times cheaper than md5 on long rows, measured here).
 */
const ROW_HASH_SUM = (row: string) => `coalesce(sum(hashtextextended(${row}, 0)::numeric), 0)`;

/** "1 row", "3 rows". */
export const rows = (n: number): string => `${n} row${n === 1 ? '' : 's'}`;

/**
 * Checks the rules of the profile on the staging copy, before it goes live: cleared tables
 * are empty, no source value of a masked column remains, and each sanitize statement's own
 * check finds nothing left to fix. (Kept rows and columns: verifyKept.)
 */
export async function verifyRules(input: VerificationInput): Promise<VerificationCheck[]> {
  const checks: VerificationCheck[] = [];
  const add = (rule: string, description: string, ok: boolean, detail: string) =>
    checks.push({ rule, description, status: ok ? 'passed' : 'failed', detail });
  const masked: (MaskedColumn & { description: string })[] = [];
  for (const rule of input.profile.rules) {
    const name = table(rule.schema, rule.table);
    const label = `${rule.schema}.${rule.table}`;
    const description = rule.reason ?? `${rule.action} ${label}`;
    try {
      if (rule.action === 'clear') {
        const n = await count(input.staging, `SELECT count(*) FROM ${name}`);
        add(`clear:${label}`, description, n === 0, n === 0 ? 'the table is empty' : `${n} rows remain`);
      } else if (rule.action === 'keep-target') {
        continue; // checked against the target's snapshot during the copy (verifyKept)
      } else {
        masked.push(...Object.entries(rule.columns).map(([column, mask]) => ({ schema: rule.schema, table: rule.table, column, mask, description })));
      }
    } catch (error) {
      add(`${rule.action}:${label}`, description, false, `could not be checked: ${(error as Error).message}`);
    }
  }
  checks.push(...(await maskChecks(input, masked)));
  for (const step of input.profile.sanitize) {
    if (step.verify === undefined) {
      checks.push({ rule: `sanitize:${step.name}`, description: step.description, status: 'passed', detail: 'ran without error (the profile gives no check for it)' });
      continue;
    }
    try {
      const n = await count(input.staging, step.verify, usesAdministrator(step.verify) ? [input.administrator] : []);
      add(`sanitize:${step.name}`, step.description, n === 0, n === 0 ? 'no row breaks the rule' : `${n} rows break the rule`);
    } catch (error) {
      add(`sanitize:${step.name}`, step.description, false, `could not be checked: ${(error as Error).message}`);
    }
  }
  return checks;
}

async function count(client: Queryable, sql: string, values: unknown[] = []): Promise<number> {
  const result = await client.query(sql, values);
  const first = result.rows[0];
  return Number(first === undefined ? 0 : (Object.values(first)[0] ?? 0));
}

/**
 * No row of the table was written at or after transaction `horizon` (an xid8), and it has
 * `rows` rows: nothing inserted, updated or deleted since. Reads row headers only (no TOAST).
 */
async function untouchedSince(client: Queryable, name: string, rows: number, horizon: string): Promise<boolean> {
  const xid = (BigInt(horizon) & 0xffffffffn).toString();
  const result = await client.query<{ rows: string; newer: string }>(
    `SELECT count(*) AS rows, count(*) FILTER (WHERE age(t.xmin) <= age($1::text::xid)) AS newer FROM ${name} t`,
    [xid],
  );
  return Number(result.rows[0]!.rows) === rows && result.rows[0]!.newer === '0';
}

/** Rows as text alike whatever the session's settings (time zone, date style, bytea output): digests compare across sessions. */
async function canonical(client: Queryable): Promise<void> {
  for (const sql of CANONICAL_SETTINGS) await client.query(sql);
}

async function tableDigest(client: Queryable, name: string): Promise<{ rows: number; digest: string }> {
  await canonical(client);
  const result = await client.query<{ rows: string; digest: string | null }>(
    `SELECT count(*) AS rows, ${ROW_HASH_SUM('t::text')}::text AS digest FROM ${name} t`,
  );
  return { rows: Number(result.rows[0]!.rows), digest: result.rows[0]!.digest ?? '' };
}

async function primaryKey(client: Queryable, schema: string, name: string): Promise<string[]> {
  const result = await client.query<{ column: string }>(
    `SELECT a.attname AS column FROM pg_index i
       JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
      WHERE i.indisprimary AND i.indrelid = $1::regclass ORDER BY array_position(i.indkey, a.attnum)`,
    [table(schema, name)],
  );
  return result.rows.map((r) => r.column);
}

/** Each row the target has keeps the target's values; the others got the `otherwise` value. */
async function checkKeptColumns(
  input: { staging: Queryable; target: Queryable; maskKey: string },
  schema: string,
  name: string,
  columns: readonly string[],
  otherwise: Mask | undefined,
): Promise<[boolean, string]> {
  const key = await primaryKey(input.staging, schema, name);
  const select = (client: Queryable, extra = '') =>
    client.query<{ k: string; v: string }>(
      `SELECT row(${key.map(q).join(', ')})::text AS k, row(${columns.map(q).join(', ')}${extra})::text AS v FROM ${table(schema, name)}`,
    );
  const theirs = new Map((await select(input.target)).rows.map((r) => [r.k, r.v]));
  // What a row the target lacks should hold: the fallback computed by the same SQL as the copy.
  const types = await input.staging.query<{ column: string; type: string }>(
    `SELECT attname AS column, format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0`,
    [table(schema, name)],
  );
  const typeOf = new Map(types.rows.map((r) => [r.column, r.type]));
  const fallback = columns
    .map((c) => `, ${otherwise ? maskExpression(c, typeOf.get(c) ?? 'text', otherwise, input.maskKey) : 'NULL'} AS ${q(`fallback_${c}`)}`)
    .join('');
  const ours = await input.staging.query<{ k: string; v: string; f: string }>(
    `SELECT row(${key.map(q).join(', ')})::text AS k, row(${columns.map(q).join(', ')})::text AS v,
            row(${columns.map((c) => q(`fallback_${c}`)).join(', ')})::text AS f
       FROM (SELECT *${fallback} FROM ${table(schema, name)}) t`,
  );
  let kept = 0;
  let replaced = 0;
  const wrong: string[] = [];
  for (const row of ours.rows) {
    const expected = theirs.get(row.k);
    if (expected !== undefined) {
      if (row.v === expected) kept++;
      else wrong.push(row.k);
    } else if (row.v === row.f) replaced++;
    else wrong.push(row.k);
  }
  if (wrong.length > 0) return [false, `${wrong.length} rows hold values that are not the target's (first key ${wrong[0]})`];
  return [true, `${rows(kept)} keep the target's ${columns.join(', ')}; ${rows(replaced)} the target lacks got the fallback value`];
}

/**
 * One `mask:schema.table.column` check per masked column, and per column a masked key's mask
 * carried over to (foreign keys), each proving that no source value survived.
 */
async function maskChecks(input: VerificationInput, masked: readonly (MaskedColumn & { description: string })[]): Promise<VerificationCheck[]> {
  const checks: VerificationCheck[] = [];
  let carried: MaskedColumn[] = [];
  try {
    carried = await carriedMasks(input.staging, masked);
  } catch (error) {
    checks.push({ rule: 'mask:foreign-keys', description: 'Masks carried over to referencing columns.', status: 'failed', detail: `could not be read: ${(error as Error).message}` });
  }
  const all = [...masked, ...carried.map((c) => ({ ...c, description: `the mask of ${c.from}, carried over by foreign key` }))];
  const salt = input.profile.salt ?? input.maskKey;
  for (const column of all) {
    const label = `${column.schema}.${column.table}.${column.column}`;
    const sameTable = new Map(all.filter((o) => o.schema === column.schema && o.table === column.table).map((o) => [o.column, o.mask]));
    try {
      const [ok, detail] = await checkMaskedColumn({ staging: input.staging, source: input.source, salt }, column, sameTable);
      checks.push({ rule: `mask:${label}`, description: column.description, status: ok ? 'passed' : 'failed', detail: `${column.mask.transformer}: ${detail}` });
    } catch (error) {
      checks.push({ rule: `mask:${label}`, description: column.description, status: 'failed', detail: `could not be checked: ${(error as Error).message}` });
    }
  }
  return checks;
}

/** A digest of a folder's file names, sizes and contents: equal before and after means untouched. */
export async function folderFingerprint(folder: string | null): Promise<{ files: number; digest: string } | null> {
  if (folder === null || !fs.existsSync(folder)) return null;
  const hash = createHash('sha256');
  let files = 0;
  const walk = async (dir: string): Promise<void> => {
    const entries = (await fs.promises.readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile()) {
        files++;
        hash.update(path.relative(folder, full)).update('\0');
        // Streamed, so a large attachment store neither fills memory nor blocks the process.
        for await (const chunk of fs.createReadStream(full)) hash.update(chunk as Buffer);
        hash.update('\0');
      }
    }
  };
  await walk(folder);
  return { files, digest: hash.digest('hex') };
}

/**
 * A digest of what each keep-target rule kept in the copy (whole rows, or key and kept
 * columns). Taken when the kept data is checked and again before the cutover: a sanitize
 * statement or synchronize command that changed the kept data in between shows up.
 */
export async function keptDigests(
  profile: Profile,
  staging: Queryable,
  known: Record<string, string> = {},
  /**
   * The digests taken at the keep-target check and the transaction id horizon after it: a
   * table kept whole that has as many rows as then and none written since (no row's xmin at
   * or past the horizon) still has its digest, which needs no new pass over its contents.
   */
  since?: { readonly digests: Readonly<Record<string, string>>; readonly horizon: string },
): Promise<Record<string, string>> {
  const digests: Record<string, string> = { ...known };
  for (const rule of profile.rules) {
    if (rule.action !== 'keep-target') continue;
    const name = table(rule.schema, rule.table);
    const label = `${rule.schema}.${rule.table}`;
    if (digests[label] !== undefined) continue;
    if (rule.columns === undefined) {
      const recorded = since?.digests[label];
      if (recorded !== undefined && (await untouchedSince(staging, name, Number(recorded.split(':')[0]), since!.horizon))) {
        digests[label] = recorded;
        continue;
      }
      const d = await tableDigest(staging, name);
      digests[label] = `${d.rows}:${d.digest}`;
    } else {
      const key = await primaryKey(staging, rule.schema, rule.table);
      await canonical(staging);
      const result = await staging.query<{ d: string | null }>(
        `SELECT count(*) || ':' || ${ROW_HASH_SUM(`row(${[...rule.columns, ...key].map(q).join(', ')})::text`)} AS d FROM ${name}`,
      );
      digests[label] = result.rows[0]!.d ?? '';
    }
  }
  return digests;
}
