import { z } from 'zod';
import { TRANSFORMERS } from '../domain/profile/mask-schema.js';

/** A mask transformer, as `dataalm profile transformers --json` lists it. */
export const transformer = z.strictObject({
  name: z.enum(TRANSFORMERS),
  description: z.string(),
  parameters: z.array(z.strictObject({ name: z.string(), description: z.string(), required: z.boolean() })),
  /** The example's value and its mask under the documented example salt. */
  example: z.strictObject({ input: z.string(), output: z.string().nullable() }),
});

export const transformerList = z.strictObject({ transformers: z.array(transformer) });
