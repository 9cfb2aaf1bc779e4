import type { Mask, Rule } from '../domain/profile/profile-schema.js';

/**
 * What a column's mask adds to the cost of copying its table, per byte of the table, for a
 * transformer that computes a digest of every value (hash, e-mail and the other keyed,
 * format-keeping ones). Measured on the sample application's largest table
 * (generaljournalaccountentry, 167 heap bytes a row, one text column hashed): the source
 * backend's CPU for its COPY went from 2.7 s to 4.9 s (SHA-256 and hex of 1.4 M values,
 * about 1.6 µs a value), and the longer values (64 hex characters instead of 18) add 22 %
 * to what the client and the target's COPY FROM handle; the table's whole copy costs about
 * 1.45 × the plain one. A wider row makes this an overestimate, which errs on the side of
 * splitting the table.
 */
export const DIGEST_MASK_COST = 0.45;

/** Masks that replace the value without reading it: they cost no more than the value itself. */
const CONSTANT_MASKS: ReadonlySet<Mask['transformer']> = new Set(['null', 'constant']);

/**
 * How much copying a table costs per byte, relative to a plain copy: 0 when nothing is
 * copied, more than 1 for each column masked by a digest.
 */
export function copyCostFactor(rule: Rule | undefined, keepFrom: boolean): number {
  if (rule?.action === 'clear' || (rule?.action === 'keep-target' && !rule.columns && !keepFrom)) return 0;
  const masks: Mask[] =
    rule?.action === 'mask'
      ? Object.values(rule.columns)
      : rule?.action === 'keep-target' && rule.columns
        ? rule.columns.map(() => rule.otherwise ?? { transformer: 'null' })
        : [];
  return 1 + DIGEST_MASK_COST * masks.filter((mask) => !CONSTANT_MASKS.has(mask.transformer)).length;
}

/**
 * The size above which a table is copied in parts, as cost (bytes × cost factor). A table's
 * indexes are built after its data, one after another, and take about as long as the data
 * itself: a table is on the critical path once its copy costs more than about half of one
 * worker's fair share (total cost / jobs). Parts are that size, and splitParts only splits a
 * table 1.5 × as big, so a table just above it stays whole (and is written frozen).
 */
export function defaultSplitCost(totalCost: number, jobs: number, minimum: number): number {
  return Math.max(minimum, Math.ceil(totalCost / jobs / 2));
}
