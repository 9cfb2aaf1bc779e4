import { draw, withDigest } from './digest.js';
import { CITIES, FIRST_NAMES, LAST_NAMES, STREETS, pickFrom } from './word-lists.js';

/**
 * Names and addresses from fixed lists, picked by the digest. Lists are short, so many
 * values share an output: on a column with a unique key the output gets 16 hex digits of the
 * digest as a suffix ("Maja Weber 3f9c0a1e7b2d4c58"), which keeps it unique as long as no two
 * digests share their first 64 bits (about one chance in 10^7 among 10^6 distinct values).
 */
export type PersonTransformer = 'first-name' | 'last-name' | 'full-name' | 'street' | 'city';

const firstName = (h: string) => pickFrom(FIRST_NAMES, draw(h, 1, FIRST_NAMES.length));
const lastName = (h: string) => pickFrom(LAST_NAMES, draw(h, 2, LAST_NAMES.length));
const street = (h: string) => `${draw(h, 3, 998)}::text || ' ' || ${pickFrom(STREETS, draw(h, 4, STREETS.length))}`;
const city = (h: string) => pickFrom(CITIES, draw(h, 5, CITIES.length));

/** The list-based parts, for templates too. */
export const PARTS = { 'first-name': firstName, 'last-name': lastName, street, city } as const;

export function personSql(transformer: PersonTransformer, digest: string, unique: boolean): string {
  return withDigest(digest, (h) => {
    const base = transformer === 'full-name' ? `${firstName(h)} || ' ' || ${lastName(h)}` : PARTS[transformer](h);
    return unique ? `${base} || ' ' || substr(${h}, 1, 16)` : base;
  });
}
