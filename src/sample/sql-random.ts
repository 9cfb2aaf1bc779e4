// SQL snippets for deterministic pseudo-random values. Every value is a hash of a row number
// and the variant's seed (never random(), now() or a timing-dependent sequence), so one
// (scale, variant) pair always produces byte-identical rows, and another variant different ones.

/** The first RecId the ERP hands out; recids start here so they look like the real thing. */
export const RECID_BASE = 5637144576;

/** Variant names are inlined into SQL, so they are restricted to environment-name characters. */
const VARIANT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

export function checkVariant(variant: string): void {
  if (!VARIANT_PATTERN.test(variant)) {
    throw new RangeError(`sample variant must match ${VARIANT_PATTERN} (an environment name), got ${JSON.stringify(variant)}`);
  }
}

/** SQL string literal (standard_conforming_strings is on in every supported PostgreSQL). */
export function lit(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** 32-bit FNV-1a of the variant, computed client-side so it can be inlined as a constant. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/**
 * Generates hash expressions for one variant. `salt` tells columns apart: two columns with
 * different salts are independent even though they hash the same row number.
 */
export class SqlRandom {
  private readonly seed: number;

  constructor(readonly variant: string) {
    this.seed = fnv1a(variant) * 1000;
  }

  /** Integer in [0, mod) from `row` (a bigint SQL expression, `g` by default). */
  int(salt: number, mod: number, row = 'g'): string {
    // The mask keeps the hash non-negative without abs(), which overflows on -2^63.
    return `((hashint8extended(${row}, ${this.seed + salt}) & 9223372036854775807) % ${mod})`;
  }

  /** One of `values` (SQL literals are built here; ARRAY[...] of constants is folded once per statement). */
  pick(salt: number, values: readonly string[], row = 'g'): string {
    return `(ARRAY[${values.map(lit).join(',')}])[1 + ${this.int(salt, values.length, row)}]`;
  }

  /** Decimal with `scale` digits in [min, max), as numeric. */
  amount(salt: number, min: number, max: number, scale = 2, row = 'g'): string {
    const unit = 10 ** scale;
    return `((${Math.round(min * unit)} + ${this.int(salt, Math.round((max - min) * unit), row)})::numeric / ${unit})`;
  }

  /** Lower-case hex token of `length` characters (md5 is slower than hashint8extended; use for short ids only). */
  hex(salt: number, length: number, row = 'g'): string {
    return `substr(md5(${row}::text || ${lit(`:${this.seed + salt}`)}), 1, ${length})`;
  }

  /**
   * About `size` bytes that neither pglz nor lz4 can compress: concatenated SHA-512 digests,
   * so the value is stored out of line in TOAST at its full size, as a real attachment is.
   */
  bytes(salt: number, size: number, row = 'g'): string {
    const blocks = Math.ceil(size / 64);
    return `(SELECT string_agg(sha512(int8send(hashint8extended(${row} * ${blocks} + k, ${this.seed + salt}))), ''::bytea ORDER BY k)
            FROM generate_series(1, ${blocks}) AS k)`;
  }

  /** Date `base + [0, days)`. */
  date(salt: number, base: string, days: number, row = 'g'): string {
    return `(date ${lit(base)} + ${this.int(salt, days, row)}::integer)`;
  }

  /**
   * timestamptz `base + [0, seconds)`. Seconds (not days) are added so the result does not
   * depend on the session's TimeZone (day arithmetic follows daylight saving).
   */
  timestamp(salt: number, base: string, seconds: number, row = 'g'): string {
    return `(timestamptz ${lit(`${base} UTC`)} + ${this.int(salt, seconds, row)} * interval '1 second')`;
  }
}

/** recid of the n-th (1-based) row of a table, as SQL. */
export function recid(n: string): string {
  return `(${RECID_BASE - 1} + ${n})`;
}

/** recid of a pseudo-random row of a parent table with `parentRows` rows. */
export function parentRecid(random: SqlRandom, salt: number, parentRows: number, row = 'g'): string {
  return recid(`1 + ${random.int(salt, parentRows, row)}`);
}
