import { bindValues, digitsOf, lettersOf, pool, replaceEach } from './digest.js';

/**
 * Transformers that keep a value's shape character by character: every digit becomes a digit,
 * every letter a letter of the same case, and everything else (spaces, dashes, brackets, a
 * leading +) stays where it was. Card numbers and IBANs then get valid check digits.
 */

/** Phone numbers: digits replaced, punctuation and length kept. */
export function phoneSql(text: string, digest: string): string {
  return bindValues({ t: text, h: digest }, (v) => replaceEach(v.t!, '[0-9]', digitsOf(pool(v.h!, v.t!))));
}

/** Digits → digits, A–Z → A–Z, a–z → a–z: a postcode keeps its pattern (SW1A 1AA, 75008, 1012 AB). */
function shapeKept(t: string, h: string): string {
  const digits = replaceEach(t, '[0-9]', digitsOf(pool(h, t)));
  const upper = replaceEach(digits, '[A-Z]', lettersOf(`reverse(${pool(h, t)})`));
  return replaceEach(upper, '[a-z]', `lower(${lettersOf(pool(h, t))})`);
}

export function postcodeSql(text: string, digest: string): string {
  return bindValues({ t: text, h: digest }, (v) => shapeKept(v.t!, v.h!));
}

/**
 * The Luhn check digit of a string of digits `p` (the card number without its last digit):
 * from the right, every other digit is doubled (its digits summed), and the check digit
 * brings the total to a multiple of 10.
 */
function luhnCheckDigit(p: string): string {
  return `((10 - coalesce((SELECT sum(CASE WHEN (length(${p}) - i) % 2 = 0 THEN (2 * d) / 10 + (2 * d) % 10 ELSE d END)
      FROM (SELECT i, substr(${p}, i, 1)::int AS d FROM generate_series(1, length(${p})) AS i) AS digits), 0) % 10) % 10)::text`;
}

/** Card numbers: as many digits as the input, in its grouping, the last a valid Luhn check digit. */
export function cardNumberSql(text: string, digest: string): string {
  return bindValues({ t: text, h: digest }, (v) =>
    bindValues(
      { t: v.t!, p: `substr(${digitsOf(pool(v.h!, v.t!))}, 1, greatest(length(regexp_replace(${v.t!}, '[^0-9]', '', 'g')) - 1, 0))` },
      (w) => replaceEach(w.t!, '[0-9]', `${w.p!} || ${luhnCheckDigit(w.p!)}`),
    ),
  );
}

/** A–Z → 10–35, as the IBAN check computes them. */
const lettersToNumbers = (text: string): string =>
  Array.from({ length: 26 }, (_, i) => String.fromCharCode(65 + i)).reduce((sql, letter, i) => `replace(${sql}, '${letter}', '${10 + i}')`, text);

/**
 * IBANs: the country code kept, the account part (BBAN) masked with its pattern kept, and
 * new check digits so the result passes the ISO 13616 mod-97 test: 98 minus the remainder
 * of BBAN + country + "00" (letters as 10–35) divided by 97. Spacing as in the input.
 * A value too short to be an IBAN only has its shape kept.
 */
export function ibanSql(text: string, digest: string): string {
  return bindValues({ t: text, h: digest, c: `upper(regexp_replace(${text}, '[^A-Za-z0-9]', '', 'g'))` }, (v) =>
    bindValues({ t: v.t!, c: v.c!, b: shapeKept(`substr(${v.c!}, 5)`, v.h!) }, (w) => {
      const country = `substr(${w.c!}, 1, 2)`;
      const check = `lpad((98 - (${lettersToNumbers(`${w.b!} || ${country} || '00'`)})::numeric % 97)::text, 2, '0')`;
      const iban = `${country} || ${check} || ${w.b!}`;
      return `CASE WHEN ${w.c!} ~ '^[A-Z]{2}[0-9]{2}[A-Z0-9]+$' THEN ${replaceEach(w.t!, '[A-Za-z0-9]', iban)} ELSE ${shapeKept(w.t!, v.h!)} END`;
    }),
  );
}
