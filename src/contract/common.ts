import { z } from 'zod';
import { REFUSAL_CODES } from '../domain/errors/dataalm-error.js';
import type { RefusalReason } from '../domain/operation.js';

/** Why a request is refused or a candidate is not eligible: a stable code, what is wrong, how to fix it. */
export const reason = z.strictObject({ code: z.enum(REFUSAL_CODES), message: z.string(), remedy: z.string() }) satisfies z.ZodType<RefusalReason>;

/** Every failed request but a refusal: `{ error: { code, message, field?, remedy? } }`. */
export const errorAnswer = z.strictObject({
  error: z.strictObject({ code: z.string(), message: z.string(), field: z.string().optional(), remedy: z.string().optional() }),
});

/** 409 REFUSED: a rule forbids the request and nothing changed. */
export const refusedAnswer = z.strictObject({ refused: z.literal(true), reasons: z.array(reason) });

/** A free-form JSON object (an audit entry's details, a step's counters). */
export const jsonObject = z.record(z.string(), z.unknown());
