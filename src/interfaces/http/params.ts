import { z } from 'zod';

/** `:name` of an environment or a user. */
export const nameParams = z.object({ name: z.string().min(1).max(63) });

/** `:id` of an operation or a token. */
export const idParams = z.object({ id: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER) });
