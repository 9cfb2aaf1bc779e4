import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { CopyPlan, TablePlan } from '../copy-plan.js';
import { quoteIdent, quoteLiteral } from '../mask-sql.js';

/** The schema that holds a mirror's machinery: the salt and the masking functions. A clone drops it. */
export const MACHINERY_SCHEMA = 'dataalm_mirror';
/** The masking trigger on each replicated table with masked columns. */
export const MASK_TRIGGER = 'dataalm_mirror_mask';
/** The PL/pgSQL variable that holds the salt (and keyedDigest's ':'). */
export const SALT_VARIABLE = 'dataalm_mirror_salt';

const schema = quoteIdent(MACHINERY_SCHEMA);

/**
 * Installs the mirror's masking: the salt in a table only the mirror's owner reads (so it is
 * in no function's source, and a clone drops it with the schema, file and all), and on every
 * replicated table with masked columns a BEFORE INSERT OR UPDATE trigger, enabled REPLICA so
 * it fires for the subscription's rows only (the seed was masked by the copy already).
 *
 * The trigger masks with the very expressions the copy uses (plan.maskSql, built with the
 * salt read from the table), so a replicated row is masked exactly as a copied one. An
 * UPDATE whose value for a masked column is the mirror's own (a large value the source did
 * not change arrives as "unchanged", and the subscriber fills in what it has, which is
 * masked already) keeps it, rather than masking a masked value again.
 */
export async function installMaskTriggers(mirror: pg.ClientBase, plan: CopyPlan, published: readonly string[], salt: string): Promise<number> {
  await mirror.query(`CREATE SCHEMA ${schema}`);
  await mirror.query(`REVOKE ALL ON SCHEMA ${schema} FROM PUBLIC`);
  await mirror.query(`CREATE TABLE ${schema}.key (salt text NOT NULL)`);
  await mirror.query(`INSERT INTO ${schema}.key VALUES ($1)`, [`${salt}:`]);
  const replicated = new Set(published);
  let count = 0;
  for (const table of plan.tables) {
    if (!replicated.has(`${table.schema}.${table.name}`) || table.maskSql.length === 0) continue;
    const fn = `${schema}.${quoteIdent(functionName(table))}`;
    await mirror.query(triggerFunction(fn, table));
    await mirror.query(`CREATE TRIGGER ${quoteIdent(MASK_TRIGGER)} BEFORE INSERT OR UPDATE ON ${table.qualifiedName} FOR EACH ROW EXECUTE FUNCTION ${fn}()`);
    await mirror.query(`ALTER TABLE ${table.qualifiedName} ENABLE REPLICA TRIGGER ${quoteIdent(MASK_TRIGGER)}`);
    count++;
  }
  return count;
}

/** Removes the machinery from a clone of the mirror: the triggers go with their functions. */
export async function removeMachinery(clone: pg.ClientBase): Promise<void> {
  await clone.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
}

function functionName(table: TablePlan): string {
  const digest = createHash('sha256').update(`${table.schema}.${table.name}`).digest('hex').slice(0, 12);
  return `mask_${digest}`;
}

function triggerFunction(fn: string, table: TablePlan): string {
  const values = table.maskSql.map((m) => {
    const c = quoteIdent(m.column);
    const wasMasked = m.when ? ` AND OLD.${quoteIdent(m.when.column)} = ${quoteLiteral(m.when.equals)}` : '';
    return `CASE WHEN TG_OP = 'UPDATE' AND NEW.${c} IS NOT DISTINCT FROM OLD.${c}${wasMasked} THEN OLD.${c} ELSE ${m.expression} END`;
  });
  const targets = table.maskSql.map((m) => `NEW.${quoteIdent(m.column)}`);
  const body = `
#variable_conflict use_column
DECLARE
  ${SALT_VARIABLE} text := (SELECT salt FROM ${schema}.key);
BEGIN
  SELECT ${values.join(',\n         ')}
    INTO ${targets.join(', ')}
    FROM (SELECT NEW.*) AS dataalm_row;
  RETURN NEW;
END
`;
  // A tag that no literal of the masks (a regex, a template) contains.
  let tag = '$dataalm$';
  for (let i = 0; body.includes(tag); i++) tag = `$dataalm${i}$`;
  return `CREATE FUNCTION ${fn}() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog AS ${tag}${body}${tag}`;
}
