import type { Mask } from '../../domain/profile/profile-schema.js';
import { maskMisfit } from '../mask-checks.js';

/** Whether a mask fits a column as the copy checks it (type, length, NOT NULL, a unique key). */
export function maskFits(column: { name: string; type: string; notNull: boolean }, mask: Mask, unique: boolean): boolean {
  return maskMisfit(column, mask, unique) === undefined;
}
