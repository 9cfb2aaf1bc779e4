import type { MaskInput } from '../profile/mask-schema.js';
import type { PiiKind } from './classify-column.js';

/**
 * The mask `profile init` suggests for each kind of personal data, best first. The first one
 * that fits the column (its type, its length, a unique key: engine/mask-checks) is written;
 * when none fits, `hash` and then `null` (a nullable column) are tried.
 */
export const SUGGESTED_MASKS: Readonly<Record<PiiKind, readonly MaskInput[]>> = {
  email: [{ transformer: 'email' }],
  phone: [{ transformer: 'phone' }],
  'first-name': [{ transformer: 'first-name' }],
  'last-name': [{ transformer: 'last-name' }],
  'full-name': [{ transformer: 'full-name' }],
  street: [{ transformer: 'street' }],
  city: [{ transformer: 'city' }],
  postcode: [{ transformer: 'postcode' }],
  'card-number': [{ transformer: 'card-number' }],
  iban: [{ transformer: 'iban' }],
  ip: [{ transformer: 'null' }, { transformer: 'constant', value: '192.0.2.1' }],
  secret: [{ transformer: 'hash' }],
  username: [{ transformer: 'hash' }],
  'national-id': [{ transformer: 'hash' }],
  'birth-date': [{ transformer: 'date-shift', days: 180 }],
  'free-text': [{ transformer: 'regex', pattern: '[[:alnum:]]', replacement: 'x' }, { transformer: 'null' }],
};

/** What is tried when none of a kind's own masks fits. */
export const FALLBACK_MASKS: readonly MaskInput[] = [{ transformer: 'hash' }, { transformer: 'null' }];
