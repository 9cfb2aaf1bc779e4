/**
 * Date shift and numeric noise: the value moves by an amount drawn from its digest, never by
 * zero, so the same date or amount always moves the same way (two rows with one birth date
 * keep sharing it) and no value is left as it was (up to rounding to the column's type).
 */

/** A whole number from -n to n without 0 (n counts twice), from the digest `h`, `k`-th draw. */
const nonZero = (h: string, k: number, n: number): string =>
  `coalesce(nullif(abs(hashtextextended(${h}, ${k}) % ${2 * n + 1}) - ${n}, 0), ${n})`;

/** A date, timestamp or timestamptz column: the result is cast back to its type by the caller. */
export function dateShiftSql(value: string, h: string, days: number): string {
  return `(${value} + make_interval(days => ${nonZero(h, 6, days)}::int))`;
}

/**
 * A date inside text (JSON): the leading YYYY-MM-DD is moved and whatever follows it (a time,
 * a zone) is kept as written; text not starting with a date is left alone.
 */
export function textDateShiftSql(text: string, h: string, days: number): string {
  return `CASE WHEN ${text} ~ '^\\d{4}-\\d{2}-\\d{2}' THEN to_char(substr(${text}, 1, 10)::date + ${nonZero(h, 6, days)}::int, 'YYYY-MM-DD') || substr(${text}, 11) ELSE ${text} END`;
}

/** The factor 1 ± up to `percent` %, in steps of 1/1000 of it. */
const factor = (h: string, percent: number): string => `(1 + ${nonZero(h, 7, 1000)} * ${percent}::numeric / 100000)`;

/** A number column: cast back (and so rounded) to its type by the caller. */
export function numericNoiseSql(value: string, h: string, percent: number): string {
  return `(${value}::numeric * ${factor(h, percent)})`;
}

/** A number inside text (JSON): rounded to as many decimals as it had; text that is no number is left alone. */
export function textNumericNoiseSql(text: string, h: string, percent: number): string {
  return `CASE WHEN ${text} ~ '^-?\\d+(\\.\\d+)?([eE][-+]?\\d+)?$' THEN round(${text}::numeric * ${factor(h, percent)}, scale(${text}::numeric))::text ELSE ${text} END`;
}
