import { z } from 'zod';
import { ROLES, ROLE_TITLES, can } from '../../../domain/access.js';
import { DataalmError } from '../../../domain/errors/dataalm-error.js';
import { SESSION_SECONDS, addUser, changeOwnPassword, createToken, endSession, login, logout } from '../../../app/accounts.js';
import type { Runtime } from '../../../app/runtime.js';
import { type ApiRoute, route } from '../api-route.js';
import { idParams, nameParams } from '../params.js';
import { SESSION_COOKIE, sessionCookieOptions } from '../auth.js';

/**
 * Sign-in attempts per client address within the window, whatever the user names; each
 * costs a 32 MiB hash. (An address that keeps failing also waits longer after each failure,
 * see login.)
 */
export const LOGIN_LIMIT = { max: 100, windowMs: 5 * 60 * 1000 } as const;

export function accountRoutes(runtime: Runtime): ApiRoute[] {
  const userJson = (u: { name: string; role: (typeof ROLES)[number]; createdAt: string }) => ({
    name: u.name,
    role: u.role,
    roleTitle: ROLE_TITLES[u.role],
    createdAt: u.createdAt,
  });
  return [
    route({
      method: 'POST',
      url: '/api/session',
      access: 'public',
      tag: 'accounts',
      summary: `Sign in: sets an HttpOnly, SameSite=Strict session cookie and returns the CSRF token. Limited to ${LOGIN_LIMIT.max} attempts per 5 minutes per address; an address that keeps failing (for one user, or for any) waits longer after each failure (429 with Retry-After)`,
      rateLimit: LOGIN_LIMIT,
      body: z.object({ username: z.string().min(1).max(63), password: z.string().min(1).max(200) }).strict(),
      success: { description: 'signed in' },
      async handler({ body, reply, request }) {
        const session = await login(runtime, body.username, body.password, request.ip);
        // A sign-in replaces the session this browser had, if any.
        const previous = request.cookies[SESSION_COOKIE];
        if (previous) await endSession(runtime, previous);
        void reply.setCookie(SESSION_COOKIE, session.sessionId, sessionCookieOptions(SESSION_SECONDS));
        return { user: { name: session.user.name, role: session.user.role, roleTitle: ROLE_TITLES[session.user.role] }, csrfToken: session.csrfToken, via: 'session' };
      },
    }),
    route({
      method: 'GET',
      url: '/api/session',
      access: 'signed-in',
      tag: 'accounts',
      summary: 'Who is signed in (and the CSRF token of a cookie session)',
      success: { description: 'the signed-in user' },
      async handler({ principal }) {
        const { user } = principal;
        return { user: { name: user.name, role: user.role, roleTitle: ROLE_TITLES[user.role] }, csrfToken: principal.csrfToken, via: principal.via };
      },
    }),
    route({
      method: 'DELETE',
      url: '/api/session',
      access: 'signed-in',
      tag: 'accounts',
      summary: 'Sign out: ends the session',
      success: { description: 'signed out' },
      async handler({ request, reply, actor }) {
        const id = request.cookies[SESSION_COOKIE];
        if (id) await logout(runtime, id, actor);
        void reply.clearCookie(SESSION_COOKIE, { path: '/' });
        return reply.status(204).send();
      },
    }),
    route({
      method: 'POST',
      url: '/api/session/password',
      access: 'signed-in',
      tag: 'accounts',
      summary: "Change one's own password (at least 12 characters) from a signed-in session; every session of the user ends, so sign in again",
      body: z.object({ currentPassword: z.string().min(1).max(200), newPassword: z.string() }).strict(),
      success: { description: 'changed; signed out everywhere' },
      async handler({ body, principal, actor, reply }) {
        if (principal.via !== 'session') {
          throw new DataalmError('FORBIDDEN', 'a password is changed from a signed-in session, not with a token', { remedy: 'sign in to the web UI' });
        }
        await changeOwnPassword(runtime, principal.user.name, body.currentPassword, body.newPassword, actor);
        void reply.clearCookie(SESSION_COOKIE, { path: '/' });
        return reply.status(204).send();
      },
    }),
    route({
      method: 'GET',
      url: '/api/users',
      access: 'manage-users',
      tag: 'accounts',
      summary: 'Users and their roles',
      success: { description: 'every user' },
      handler: async () => (await runtime.accounts.listUsers()).map(userJson),
    }),
    route({
      method: 'POST',
      url: '/api/users',
      access: 'manage-users',
      tag: 'accounts',
      summary: 'Add a user with a role and a password (at least 12 characters)',
      body: z.object({ name: z.string(), role: z.enum(ROLES), password: z.string() }).strict(),
      success: { description: 'the new user' },
      async handler({ body, actor, reply }) {
        const user = await addUser(runtime, body, actor);
        return reply.status(201).send(userJson(user));
      },
    }),
    route({
      method: 'PATCH',
      url: '/api/users/:name',
      access: 'manage-users',
      tag: 'accounts',
      summary: "Change a user's role (their sessions end); the last project owner keeps the role",
      params: nameParams,
      body: z.object({ role: z.enum(ROLES) }).strict(),
      success: { description: 'the user' },
      async handler({ params, body, actor }) {
        return userJson((await runtime.accounts.changeUser(params.name, { role: body.role }, actor))!);
      },
    }),
    route({
      method: 'DELETE',
      url: '/api/users/:name',
      access: 'manage-users',
      tag: 'accounts',
      summary: 'Remove a user, their sessions and tokens; the last project owner cannot be removed',
      params: nameParams,
      success: { description: 'removed' },
      async handler({ params, actor, reply }) {
        await runtime.accounts.changeUser(params.name, 'remove', actor);
        return reply.status(204).send();
      },
    }),
    route({
      method: 'GET',
      url: '/api/tokens',
      access: 'signed-in',
      tag: 'accounts',
      summary: "API tokens: one's own (a project owner sees everyone's); never the token itself",
      success: { description: 'tokens' },
      handler: async ({ principal }) =>
        runtime.accounts.listTokens(can(principal.user.role, 'manage-users') ? {} : { user: principal.user.name }),
    }),
    route({
      method: 'POST',
      url: '/api/tokens',
      access: 'signed-in',
      tag: 'accounts',
      summary:
        "Create an API token for oneself, with one's own role; the token is in this answer only. Only from a signed-in session: a token cannot make more tokens, so revoking a leaked one is enough",
      body: z.object({ name: z.string() }).strict(),
      success: { description: 'the token, shown once' },
      async handler({ body, principal, actor, reply }) {
        if (principal.via !== 'session') {
          throw new DataalmError('FORBIDDEN', 'an API token cannot create tokens', { remedy: 'sign in (web UI: Your account) or run dataalm token create on the host' });
        }
        return reply.status(201).send(await createToken(runtime, principal.user.name, body.name, actor));
      },
    }),
    route({
      method: 'DELETE',
      url: '/api/tokens/:id',
      access: 'signed-in',
      tag: 'accounts',
      summary: "Revoke a token: one's own (a project owner: anyone's)",
      params: idParams,
      success: { description: 'revoked' },
      async handler({ params, principal, actor, reply }) {
        const token = await runtime.accounts.getToken(params.id);
        if (token.user !== principal.user.name && !can(principal.user.role, 'manage-users')) {
          // Someone else's token: as if it did not exist, so ids reveal nothing.
          throw new DataalmError('NOT_FOUND', `token ${params.id} does not exist`, { field: 'id' });
        }
        await runtime.accounts.revokeToken(params.id, actor);
        return reply.status(204).send();
      },
    }),
    route({
      method: 'GET',
      url: '/api/audit',
      access: 'read-audit',
      tag: 'accounts',
      summary: 'The audit log, newest first: who did what, when, from where',
      query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100), before: z.coerce.number().int().positive().optional() }),
      success: { description: 'audit entries' },
      handler: async ({ query }) => runtime.accounts.listAudit(query),
    }),
  ];
}
