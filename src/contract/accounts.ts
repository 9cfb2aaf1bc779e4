import { z } from 'zod';
import { ROLES } from '../domain/access.js';
import { jsonObject } from './common.js';

/** A user of the web UI and API, with the title of their role ("Project owner"). */
export const user = z.strictObject({ name: z.string(), role: z.enum(ROLES), roleTitle: z.string(), createdAt: z.string() });

/** Who is signed in; a cookie session carries the CSRF token to send with every change. */
export const session = z.strictObject({
  user: user.omit({ createdAt: true }),
  csrfToken: z.string().optional(),
  via: z.enum(['session', 'token']),
});

/** An API token as listed: never the token itself. */
export const apiToken = z.strictObject({
  id: z.number(),
  name: z.string(),
  user: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});

/** A token just created: the only answer that holds the token. */
export const newApiToken = apiToken.extend({ token: z.string() });

export const auditEntry = z.strictObject({
  id: z.number(),
  at: z.string(),
  actor: z.string(),
  origin: z.string(),
  action: z.string(),
  target: z.string().nullable(),
  details: jsonObject,
});
