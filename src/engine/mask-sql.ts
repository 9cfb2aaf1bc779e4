import pg from 'pg';
import type { Mask } from '../domain/profile/profile-schema.js';

export const quoteIdent = (name: string): string => pg.escapeIdentifier(name);
export const quoteLiteral = (value: string): string => pg.escapeLiteral(value);
export const qualified = (schema: string, name: string): string => `${quoteIdent(schema)}.${quoteIdent(name)}`;

/**
 * The SQL expression that replaces a column's value in the source SELECT. Masking runs in
 * the source server's C code inside the COPY, so it costs no client-side parsing, and the
 * result is cast back to the column's type. Hashes are SHA-256 of a secret salt and the
 * value: the same input gives the same output in every table and run (joins on masked
 * values still match), but without the salt a dictionary of known addresses reveals nothing.
 */
export function maskExpression(column: string, type: string, mask: Mask, salt: string): string {
  const value = quoteIdent(column);
  const digest = `encode(sha256(convert_to(${quoteLiteral(`${salt}:`)} || ${value}::text, 'UTF8')), 'hex')`;
  let masked: string;
  switch (mask.transformer) {
    case 'email':
      masked = `CASE WHEN ${value} IS NULL THEN NULL ELSE substr(${digest}, 1, 20) || '@example.invalid' END`;
      break;
    case 'hash':
      masked = `CASE WHEN ${value} IS NULL THEN NULL ELSE ${digest} END`;
      break;
    case 'null':
      masked = 'NULL';
      break;
    case 'constant':
      masked = quoteLiteral(mask.value ?? '');
      break;
    default: {
      const never: never = mask.transformer;
      throw new Error(`unknown transformer ${String(never)}`);
    }
  }
  const typed = `(${masked})::${type}`;
  if (mask.when === undefined) return typed;
  const condition = `${quoteIdent(mask.when.column)} = ${quoteLiteral(String(mask.when.equals))}`;
  return `CASE WHEN ${condition} THEN ${typed} ELSE ${value} END`;
}
