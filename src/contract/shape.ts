import type { z } from 'zod';

/** Nothing a client reads from the API is changed in place: every level is readonly. */
export type DeepReadonly<T> = T extends readonly (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** The type of a schema's value as clients read it (and the server may give it: readonly data fits). */
export type Shape<S extends z.ZodType> = DeepReadonly<z.output<S>>;
