import type { Mask, TransformerName } from '../domain/profile/profile-schema.js';
import { TEMPLATE_PLACEHOLDER } from '../domain/profile/mask-schema.js';
import type { SourceCatalog } from '../adapters/postgres/source-catalog.js';
import { tableKey } from '../adapters/postgres/source-relations.js';
import { templateIsInjective } from './transformers/text.js';
import { CITIES, FIRST_NAMES, LAST_NAMES, STREETS } from './transformers/word-lists.js';

const longest = (list: readonly string[]) => Math.max(...list.map((w) => w.length));
/** The digest suffix list-based outputs get on a unique column (transformers/person.ts). */
const SUFFIX = 17;

/** Longest outputs of the transformers whose output length does not follow the input's. */
const LENGTH: Partial<Record<TransformerName, number>> = {
  'first-name': longest(FIRST_NAMES),
  'last-name': longest(LAST_NAMES),
  'full-name': longest(FIRST_NAMES) + 1 + longest(LAST_NAMES),
  street: 3 + 1 + longest(STREETS),
  city: longest(CITIES),
  email: 20 + '@example.invalid'.length,
  hash: 32,
  uuid: 36,
};

/** Template outputs: its text plus each placeholder's longest part. */
function templateLength(template: string): number {
  const parts: Record<string, number> = { 'first-name': LENGTH['first-name']!, 'last-name': LENGTH['last-name']!, city: LENGTH.city!, street: LENGTH.street!, hash: 32 };
  return template.replace(TEMPLATE_PLACEHOLDER, (_, name: string) => 'x'.repeat(parts[name] ?? Number(name.split(':')[1]))).length;
}

/**
 * Transformers that keep distinct values distinct: hash, e-mail and uuid up to their digest
 * length (128, 80 and 122 bits), list-based ones by their digest suffix on a unique column, a
 * template that holds at least 16 digest digits. The others map many values to one (a phone
 * number has only so many digits) and are refused on a column of a primary or unique key.
 */
const INJECTIVE = new Set<TransformerName>(['hash', 'email', 'uuid', 'first-name', 'last-name', 'full-name', 'street', 'city']);
export const keepsUnique = (mask: Mask): boolean =>
  INJECTIVE.has(mask.transformer) || (mask.transformer === 'template' && templateIsInjective(mask.template));

const TEXT = /^(?:[\w."]+\.)?(text|citext|name|character varying|character|varchar|bpchar)(?:\((\d+)\))?$/;
const DATE = /^(date|timestamp(\(\d\))?( with(out)? time zone)?)$/;
const NUMBER = /^(smallint|integer|bigint|real|double precision|numeric(\(\d+(,\d+)?\))?)$/;

/**
 * The column's type must hold what the transformer makes: text long enough not to cut it (a
 * cut hash would make different inputs collide), a date for date-shift, a number for numeric
 * noise, uuid or text for uuid, json or jsonb for json. Checked before anything is made.
 */
export function maskMisfit(column: { name: string; type: string; notNull?: boolean }, mask: Mask, unique = false): string | undefined {
  try {
    checkFit(column, mask, unique);
    return undefined;
  } catch (error) {
    if (error instanceof Misfit) return error.message;
    throw error;
  }
}

class Misfit extends Error {}

function checkFit(column: { name: string; type: string; notNull?: boolean }, mask: Mask, unique: boolean): void {
  const refuse = (message: string): never => {
    throw new Misfit(message);
  };
  const t = mask.transformer;
  if (t === 'null') {
    if (column.notNull) refuse(`${column.name} is NOT NULL, so the null transformer cannot be used (try constant)`);
    return;
  }
  if (unique && !keepsUnique(mask)) {
    const hint = t === 'template' ? ' (put {hash} or {hash:16} or more in the template)' : ' (use hash, email, uuid, a name transformer or a template with {hash})';
    refuse(`${column.name} belongs to a primary or unique key, and the ${t} transformer could give two values the same mask${hint}`);
  }
  if (t === 'date-shift') {
    if (!DATE.test(column.type)) refuse(`the date-shift transformer needs a date or timestamp column, and ${column.name} is ${column.type}`);
    return;
  }
  if (t === 'numeric-noise') {
    if (!NUMBER.test(column.type)) refuse(`the numeric-noise transformer needs a number column, and ${column.name} is ${column.type}`);
    return;
  }
  if (t === 'json') {
    if (!/^jsonb?$/.test(column.type)) refuse(`the json transformer needs a json or jsonb column, and ${column.name} is ${column.type}`);
    return;
  }
  if (t === 'uuid' && column.type === 'uuid') return;
  const text = TEXT.exec(column.type);
  // A constant is a literal of the column's own type (a number, an enum label, '{}' for json).
  if (t === 'constant' && !text) return;
  if (!text) refuse(`the ${t} transformer makes text, and ${column.name} is ${column.type}`);
  const room = text?.[2] === undefined ? undefined : Number(text[2]);
  if (room === undefined) return;
  const length =
    t === 'template' ? templateLength(mask.template) : t === 'constant' ? mask.value.length : LENGTH[t] === undefined ? undefined : LENGTH[t]! + (unique && t !== 'hash' && t !== 'email' && t !== 'uuid' ? SUFFIX : 0);
  if (length !== undefined && room < length) {
    refuse(`${column.name} (${column.type}) is too short for the ${t} transformer, which makes up to ${length} characters`);
  }
}

/**
 * The columns of a table that belong to its primary key or to a unique constraint or index
 * (of the table or of a partitioned ancestor): a mask there must keep distinct values
 * distinct, and list-based masks add a digest suffix.
 */
export function uniqueColumns(catalog: SourceCatalog, table: { schema: string; name: string }): ReadonlySet<string> {
  const key = tableKey(table.schema, table.name);
  const owners = [key, ...(catalog.relations.ancestors.get(key) ?? []).map((a) => tableKey(a.schema, a.name))];
  const own = catalog.tables.find((t) => t.schema === table.schema && t.name === table.name);
  return new Set([...(own?.primaryKey ?? []), ...owners.flatMap((o) => (catalog.relations.uniqueKeys.get(o) ?? []).flat())]);
}
