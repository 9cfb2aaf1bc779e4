import type { Mask } from '../../domain/profile/profile-schema.js';
import { typeFamily } from '../../domain/discovery/classify-column.js';
import { maskMisfit } from '../profile-rules.js';

/** Transformers that keep distinct values distinct (allowed on a unique key). */
const INJECTIVE = new Set(['hash', 'email', 'uuid', 'first-name', 'last-name', 'full-name', 'street', 'city']);

/** Whether a mask fits a column as the copy checks it (type, length, NOT NULL, a unique key). */
export function maskFits(column: { name: string; type: string; notNull: boolean }, mask: Mask, unique: boolean): boolean {
  if (mask.transformer === 'null') return !column.notNull && !unique;
  if (unique && !INJECTIVE.has(mask.transformer)) return false;
  if (mask.transformer === 'date-shift') return typeFamily(column.type) === 'date';
  if (typeFamily(column.type) !== 'text') return false;
  return maskMisfit(column, mask) === undefined;
}
