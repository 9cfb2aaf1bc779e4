import pg from 'pg';

/** An identifier as SQL text: quoted, never pasted. */
export const quoteIdent = (name: string): string => pg.escapeIdentifier(name);
/** A string as an SQL literal. */
export const quoteLiteral = (value: string): string => pg.escapeLiteral(value);
