import pg from 'pg';
import type { Mask, NestedMask } from '../domain/profile/profile-schema.js';
import { canonicalText, keyedDigest, withDigest } from './transformers/digest.js';
import { jsonSql } from './transformers/json.js';
import { cardNumberSql, ibanSql, phoneSql, postcodeSql } from './transformers/numbers.js';
import { personSql } from './transformers/person.js';
import { dateShiftSql, numericNoiseSql, textDateShiftSql, textNumericNoiseSql } from './transformers/shifts.js';
import { emailSql, partialSql, regexSql, templateSql, uuidSql } from './transformers/text.js';

export const quoteIdent = (name: string): string => pg.escapeIdentifier(name);
export const quoteLiteral = (value: string): string => pg.escapeLiteral(value);
export const qualified = (schema: string, name: string): string => `${quoteIdent(schema)}.${quoteIdent(name)}`;

export interface MaskContext {
  /** The secret every digest is keyed with. */
  readonly salt: string;
  /**
   * The column belongs to a primary or unique key: list-based outputs get a digest suffix so
   * distinct values stay distinct (the planner refuses transformers that cannot keep them so).
   */
  readonly unique?: boolean;
  /**
   * An SQL expression that yields the salt followed by ':' (keyedDigest's prefix), used
   * instead of the salt as a literal: a mirror's masking trigger reads the salt from a
   * table, so the salt is in no function's source. (Default: the salt as a literal)
   */
  readonly saltSql?: string;
}

/**
 * The SQL expression that replaces a column's value in the source SELECT. Masking runs in
 * the source server's C code inside the COPY, so it costs no client-side parsing, and the
 * result is cast back to the column's type. Every output is derived from a digest keyed by
 * a secret salt (transformers/digest.ts): the same input gives the same output in every
 * table and run (joins and foreign keys on masked values still match), but without the salt
 * a dictionary of known values reveals nothing. Null stays null.
 */
export function maskExpression(column: string, type: string, mask: Mask, context: MaskContext | string): string {
  const ctx: MaskContext = typeof context === 'string' ? { salt: context } : context;
  const value = quoteIdent(column);
  const masked = columnMask(value, type, mask, ctx);
  const typed = `(${masked})::${type}`;
  if (mask.when === undefined) return typed;
  const condition = `${quoteIdent(mask.when.column)} = ${quoteLiteral(String(mask.when.equals))}`;
  return `CASE WHEN ${condition} THEN ${typed} ELSE ${value} END`;
}

function columnMask(value: string, type: string, mask: Mask, ctx: MaskContext): string {
  if (mask.transformer === 'null') return 'NULL';
  if (mask.transformer === 'constant') return quoteLiteral(mask.value);
  if (mask.transformer === 'json') return nullKept(value, jsonSql(value, mask.paths, (text, nested) => textMask(text, nested, ctx)));
  const text = canonicalText(value, type);
  const digest = digestOf(text, ctx);
  if (mask.transformer === 'date-shift') return nullKept(value, withDigest(digest, (h) => dateShiftSql(value, h, mask.days)));
  if (mask.transformer === 'numeric-noise') return nullKept(value, withDigest(digest, (h) => numericNoiseSql(value, h, mask.percent)));
  return nullKept(value, transform(text, digest, mask, ctx));
}

/** A mask inside a JSON document: the value there is text. */
function textMask(text: string, mask: NestedMask, ctx: MaskContext): string {
  const digest = digestOf(text, ctx);
  if (mask.transformer === 'date-shift') return withDigest(digest, (h) => textDateShiftSql(text, h, mask.days));
  if (mask.transformer === 'numeric-noise') return withDigest(digest, (h) => textNumericNoiseSql(text, h, mask.percent));
  return transform(text, digest, mask, { salt: ctx.salt, saltSql: ctx.saltSql });
}

/** Text in, text out: every transformer but json, date-shift and numeric-noise. */
function transform(text: string, digest: string, mask: NestedMask, ctx: MaskContext): string {
  const unique = ctx.unique === true;
  switch (mask.transformer) {
    case 'first-name':
    case 'last-name':
    case 'full-name':
    case 'street':
    case 'city':
      return personSql(mask.transformer, digest, unique);
    case 'email':
      return emailSql(digest);
    case 'phone':
      return phoneSql(text, digest);
    case 'postcode':
      return postcodeSql(text, digest);
    case 'card-number':
      return cardNumberSql(text, digest);
    case 'iban':
      return ibanSql(text, digest);
    case 'partial':
      return partialSql(text, mask.keepFirst, mask.keepLast, mask.maskChar);
    case 'regex':
      return regexSql(text, mask.pattern, mask.replacement, mask.flags);
    case 'template':
      return templateSql(mask.template, digest);
    case 'uuid':
      return uuidSql(digest);
    case 'hash':
      return digest;
    case 'null':
      return 'NULL';
    case 'constant':
      return quoteLiteral(mask.value);
    case 'date-shift':
    case 'numeric-noise':
      throw new Error(`${mask.transformer} is not a text transformer`);
    default: {
      const never: never = mask;
      throw new Error(`unknown transformer ${String((never as { transformer: string }).transformer)}`);
    }
  }
}

/** The keyed digest of `text`: the same value whether the salt is a literal or read by `saltSql`. */
const digestOf = (text: string, ctx: MaskContext): string => (ctx.saltSql === undefined ? keyedDigest(text, ctx.salt) : `md5(${ctx.saltSql} || ${text})`);

const nullKept = (value: string, masked: string): string => `CASE WHEN ${value} IS NULL THEN NULL ELSE ${masked} END`;
