import type { MaskInput, TransformerName } from './mask-schema.js';

/**
 * What `dataalm profile transformers` shows: each transformer, its parameters and one
 * example. The example outputs are what the masking SQL makes under EXAMPLE_SALT; a test
 * runs that SQL on a real server and checks each one, so this list cannot drift from it.
 */
export const EXAMPLE_SALT = 'dataalm-example-salt';

export interface TransformerParameter {
  readonly name: string;
  readonly description: string;
  readonly required: boolean;
}

export interface TransformerInfo {
  readonly name: TransformerName;
  readonly description: string;
  readonly parameters: readonly TransformerParameter[];
  /** The example's column type, mask and values. */
  readonly example: { readonly type: string; readonly mask: MaskInput; readonly input: string; readonly output: string | null };
}

const p = (name: string, description: string, required = true): TransformerParameter => ({ name, description, required });

export const TRANSFORMER_CATALOG: readonly TransformerInfo[] = [
  {
    name: 'first-name',
    description: 'a first name from a fixed list (a digest suffix on a unique column)',
    parameters: [],
    example: { type: 'text', mask: { transformer: 'first-name' }, input: 'Maria', output: 'Daniel' },
  },
  {
    name: 'last-name',
    description: 'a last name from a fixed list (a digest suffix on a unique column)',
    parameters: [],
    example: { type: 'text', mask: { transformer: 'last-name' }, input: 'Smith', output: 'Nakamura' },
  },
  {
    name: 'full-name',
    description: 'first and last name from fixed lists (a digest suffix on a unique column)',
    parameters: [],
    example: { type: 'text', mask: { transformer: 'full-name' }, input: 'Maria Smith', output: 'Kai Santos' },
  },
  {
    name: 'email',
    description: '20 hex digits of the digest at example.invalid (nothing can be sent there)',
    parameters: [],
    example: { type: 'text', mask: { transformer: 'email' }, input: 'maria.smith@contoso.com', output: '9957f223ff619f3b4919@example.invalid' },
  },
  {
    name: 'phone',
    description: 'every digit replaced, punctuation, spacing and length kept',
    parameters: [],
    example: { type: 'text', mask: { transformer: 'phone' }, input: '+44 (20) 7946-0958', output: '+58 (11) 5025-7735' },
  },
  {
    name: 'street',
    description: 'a house number and a street from a fixed list',
    parameters: [],
    example: { type: 'text', mask: { transformer: 'street' }, input: '221B Baker Street', output: '460 Elm Drive' },
  },
  {
    name: 'city',
    description: 'a city from a fixed list',
    parameters: [],
    example: { type: 'text', mask: { transformer: 'city' }, input: 'London', output: 'Harrowgate' },
  },
  {
    name: 'postcode',
    description: 'digits to digits and letters to letters of the same case, the rest kept',
    parameters: [],
    example: { type: 'text', mask: { transformer: 'postcode' }, input: 'SW1A 1AA', output: 'DS6J 0JA' },
  },
  {
    name: 'card-number',
    description: 'as many digits in the same grouping, the last a valid Luhn check digit',
    parameters: [],
    example: { type: 'text', mask: { transformer: 'card-number' }, input: '4111 1111 1111 1111', output: '3283 0138 0104 0218' },
  },
  {
    name: 'iban',
    description: 'country kept, account part masked with its pattern, valid mod-97 check digits',
    parameters: [],
    example: { type: 'text', mask: { transformer: 'iban' }, input: 'GB82 WEST 1234 5698 7654 32', output: 'GB69 RACJ 0289 5553 1803 54' },
  },
  {
    name: 'date-shift',
    description: 'the date or timestamp moved by up to ± days (never 0), the same for the same value',
    parameters: [p('days', 'the largest shift, in days')],
    example: { type: 'date', mask: { transformer: 'date-shift', days: 30 }, input: '1984-03-15', output: '1984-02-21' },
  },
  {
    name: 'numeric-noise',
    description: 'the number moved by up to ± percent % (never 0), rounded to the column type',
    parameters: [p('percent', 'the largest change, in percent (up to 100)')],
    example: { type: 'numeric(10,2)', mask: { transformer: 'numeric-noise', percent: 10 }, input: '1234.50', output: '1235.61' },
  },
  {
    name: 'partial',
    description: 'keeps the first and last characters, the others become maskChar',
    parameters: [p('keepFirst', 'characters kept at the start (default 0)', false), p('keepLast', 'characters kept at the end (default 0)', false), p('maskChar', 'the character put in place of the others (default *)', false)],
    example: { type: 'text', mask: { transformer: 'partial', keepLast: 4 }, input: '4111111111111111', output: '************1111' },
  },
  {
    name: 'regex',
    description: "PostgreSQL's regexp_replace on the value",
    parameters: [p('pattern', 'a PostgreSQL regular expression'), p('replacement', 'the replacement (\\1 … refer to groups)'), p('flags', 'regexp_replace flags (default g)', false)],
    example: { type: 'text', mask: { transformer: 'regex', pattern: '[0-9]', replacement: '#' }, input: 'order 12345', output: 'order #####' },
  },
  {
    name: 'template',
    description: 'text with placeholders {first-name} {last-name} {city} {street} {hash} {hash:N} {digits:N} {letters:N}',
    parameters: [p('template', 'the text; on a unique column it needs {hash} or {hash:N} with N ≥ 16')],
    example: { type: 'text', mask: { transformer: 'template', template: '{first-name}.{last-name}.{digits:4}@corp.test' }, input: 'maria.smith@contoso.com', output: 'Hana.Garcia.9957@corp.test' },
  },
  {
    name: 'uuid',
    description: 'a version-4-shaped UUID made of the digest',
    parameters: [],
    example: { type: 'uuid', mask: { transformer: 'uuid' }, input: '0b8f3a4e-6c1d-4f2a-9b7e-3d5c8a1f2e60', output: '2cb9c876-8ad8-4433-816f-d77d26719712' },
  },
  {
    name: 'json',
    description: 'masks the values at the given JSON paths inside json/jsonb, the rest kept',
    parameters: [p('paths', 'JSON path (keys and array positions joined by dots) → mask for the value there')],
    example: {
      type: 'jsonb',
      mask: { transformer: 'json', paths: { 'customer.email': { transformer: 'email' }, 'items.0.price': { transformer: 'numeric-noise', percent: 5 } } },
      input: '{"customer": {"email": "maria.smith@contoso.com"}, "items": [{"price": 20.00}]}',
      output: '{"items": [{"price": 19.63}], "customer": {"email": "9957f223ff619f3b4919@example.invalid"}}',
    },
  },
  {
    name: 'hash',
    description: 'the 32 hex digits of the digest',
    parameters: [],
    example: { type: 'text', mask: { transformer: 'hash' }, input: 'maria.smith@contoso.com', output: '9957f223ff619f3b4919d2d811663efd' },
  },
  { name: 'null', description: 'null', parameters: [], example: { type: 'text', mask: { transformer: 'null' }, input: 'maria.smith@contoso.com', output: null } },
  {
    name: 'constant',
    description: 'the same value for every row (null included)',
    parameters: [p('value', 'the value')],
    example: { type: 'text', mask: { transformer: 'constant', value: 'redacted' }, input: 'maria.smith@contoso.com', output: 'redacted' },
  },
];
