import { z } from 'zod';

/**
 * Masks: how one column's values are replaced in flight. Every transformer is deterministic
 * under the installation's salt (the same input gives the same output in every table and
 * run), keeps the value's format, and maps null to null (constant replaces every value). Each
 * takes only its own parameters.
 */

/** An SQL identifier as written in the catalog (it is always quoted when used). */
const identifier = z.string().min(1, 'must not be empty').max(63, 'must be at most 63 characters');

export const TRANSFORMERS = [
  'first-name',
  'last-name',
  'full-name',
  'email',
  'phone',
  'street',
  'city',
  'postcode',
  'card-number',
  'iban',
  'date-shift',
  'numeric-noise',
  'partial',
  'regex',
  'template',
  'uuid',
  'json',
  'hash',
  'null',
  'constant',
] as const;
export type TransformerName = (typeof TRANSFORMERS)[number];

/** Placeholders a template may hold; `N` is a count of characters. */
export const TEMPLATE_PLACEHOLDER = /\{(first-name|last-name|city|street|hash|hash:\d+|digits:\d+|letters:\d+)\}/g;
const ANY_PLACEHOLDER = /\{[^{}]*\}/g;

const whenSchema = z.object({ column: identifier, equals: z.union([z.string(), z.number(), z.boolean()]) }).strict();

const positive = (what: string) => z.number({ message: `must be a number (${what})` }).int('must be a whole number').positive('must be at least 1');

/** Each transformer's own parameters (beside `transformer` and `when`). */
const PARAMETERS = {
  'first-name': {},
  'last-name': {},
  'full-name': {},
  email: {},
  phone: {},
  street: {},
  city: {},
  postcode: {},
  'card-number': {},
  iban: {},
  /** Moves each date by up to ± `days` (never by 0), the same for the same value. */
  'date-shift': { days: positive('days').max(36500, 'must be at most 36500') },
  /** Moves each number by up to ± `percent` % (never by 0), rounded to the column's type. */
  'numeric-noise': { percent: z.number({ message: 'must be a number (percent)' }).positive('must be more than 0').max(100, 'must be at most 100') },
  /** Keeps the first `keepFirst` and last `keepLast` characters; the others become `maskChar`. */
  partial: {
    keepFirst: z.number().int('must be a whole number').min(0, 'must not be negative').default(0),
    keepLast: z.number().int('must be a whole number').min(0, 'must not be negative').default(0),
    maskChar: z.string().length(1, 'must be one character').default('*'),
  },
  /** PostgreSQL regexp_replace(value, pattern, replacement, flags). (Default flags: g) */
  regex: {
    pattern: z.string().min(1, 'must not be empty'),
    replacement: z.string(),
    flags: z.string().regex(/^[gicnpwsxqbe]*$/, 'must be regexp_replace flags (g, i, …)').default('g'),
  },
  /** Text with placeholders: {first-name}, {last-name}, {city}, {street}, {hash}, {hash:N}, {digits:N}, {letters:N}. */
  template: {
    template: z
      .string()
      .min(1, 'must not be empty')
      .superRefine((text, ctx) => {
        for (const [placeholder] of text.matchAll(ANY_PLACEHOLDER)) {
          if (!new RegExp(`^${TEMPLATE_PLACEHOLDER.source}$`).test(placeholder)) {
            ctx.addIssue({
              code: 'custom',
              message: `unknown placeholder ${placeholder} (known: {first-name}, {last-name}, {city}, {street}, {hash}, {hash:N}, {digits:N}, {letters:N})`,
            });
          }
        }
        for (const [, , n] of text.matchAll(/\{(hash|digits|letters):(\d+)\}/g)) {
          if (Number(n) < 1 || Number(n) > 32) ctx.addIssue({ code: 'custom', message: `{…:${n}}: N must be from 1 to 32` });
        }
      }),
  },
  uuid: {},
  hash: {},
  null: {},
  constant: { value: z.string({ message: 'the constant transformer needs a value (a string)' }) },
} as const satisfies Record<Exclude<TransformerName, 'json'>, z.ZodRawShape>;

type Flat = Exclude<TransformerName, 'json'>;
const FLAT = TRANSFORMERS.filter((t): t is Flat => t !== 'json');

const variant = <T extends Flat>(name: T) => z.object({ transformer: z.literal(name), ...PARAMETERS[name] }).strict();

/** A mask inside a JSON value: any transformer but json, without `when`. */
export const nestedMaskSchema = z.discriminatedUnion(
  'transformer',
  FLAT.map((name) => variant(name)) as unknown as [ReturnType<typeof variant<Flat>>, ...ReturnType<typeof variant<Flat>>[]],
  { error: (issue) => (issue.code === 'invalid_union' ? `transformer must be one of ${FLAT.join(', ')}` : undefined) },
);

/** A JSON path inside a json/jsonb value: keys and array positions separated by dots (a.b.0.c). */
const jsonPath = z.string().regex(/^[^.\s]+(\.[^.\s]+)*$/, 'must be keys and array positions separated by dots, e.g. customer.email or items.0.name');

const jsonParameters = {
  /** Each JSON path → the mask applied to the value there; paths the value lacks are left alone. */
  paths: z.record(jsonPath, nestedMaskSchema).refine((p) => Object.keys(p).length > 0, 'must name at least one path'),
};

export const maskSchema = z.discriminatedUnion(
  'transformer',
  [
    ...FLAT.map((name) => variant(name).extend({ when: whenSchema.optional() }).strict()),
    z.object({ transformer: z.literal('json'), ...jsonParameters, when: whenSchema.optional() }).strict(),
  ] as unknown as [z.ZodObject, ...z.ZodObject[]],
  { error: (issue) => (issue.code === 'invalid_union' ? `transformer must be one of ${TRANSFORMERS.join(', ')}` : undefined) },
) as unknown as z.ZodType<Mask, MaskInput>;

type When = z.infer<typeof whenSchema>;
type Params = {
  'date-shift': { days: number };
  'numeric-noise': { percent: number };
  partial: { keepFirst: number; keepLast: number; maskChar: string };
  regex: { pattern: string; replacement: string; flags: string };
  template: { template: string };
  constant: { value: string };
};
type ParamsIn = {
  [K in keyof Params]: K extends 'partial' | 'regex' ? Partial<Params[K]> & Omit<Params[K], 'keepFirst' | 'keepLast' | 'maskChar' | 'flags'> : Params[K];
};
type Shape<T extends Flat, P> = T extends keyof P ? { transformer: T } & P[T] : { transformer: T };
type Distribute<T extends Flat, P> = T extends Flat ? Shape<T, P> : never;

/** A mask inside a JSON value (defaults filled in). */
export type NestedMask = Distribute<Flat, Params>;
export type JsonMask = { transformer: 'json'; paths: Record<string, NestedMask>; when?: When };
/** A column's mask, as validated (defaults filled in). */
export type Mask = (NestedMask & { when?: When }) | JsonMask;
/** A column's mask, as written in a profile. */
export type MaskInput =
  | (Distribute<Flat, ParamsIn> & { when?: When })
  | { transformer: 'json'; paths: Record<string, Distribute<Flat, ParamsIn>>; when?: When };
