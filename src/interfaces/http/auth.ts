import crypto from 'node:crypto';
import type { CookieSerializeOptions } from '@fastify/cookie';
import type { FastifyRequest } from 'fastify';
import { can } from '../../domain/access.js';
import { DataalmError } from '../../domain/errors/dataalm-error.js';
import { type Principal, sessionPrincipal, tokenPrincipal } from '../../app/accounts.js';
import type { Runtime } from '../../app/runtime.js';
import type { Access } from './api-route.js';

export const SESSION_COOKIE = 'dataalm_session';

/**
 * HttpOnly: scripts never see the session. SameSite=Strict: other sites' pages never send
 * it. Secure when the request came over HTTPS.
 */
export function sessionCookieOptions(maxAgeSeconds: number): CookieSerializeOptions {
  return { path: '/', httpOnly: true, sameSite: 'strict', secure: 'auto', maxAge: maxAgeSeconds };
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Who sent the request: a bearer token, or else the session cookie. A token that is given
 * but unknown or revoked is refused outright, never read as "anonymous".
 */
export async function authenticate(runtime: Runtime, request: FastifyRequest): Promise<Principal | undefined> {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    const principal = match ? await tokenPrincipal(runtime, match[1]!) : undefined;
    if (!principal) throw new DataalmError('UNAUTHENTICATED', 'the API token is not valid (revoked, or never issued)', { remedy: 'create a new one with dataalm token create' });
    return principal;
  }
  const sessionId = request.cookies[SESSION_COOKIE];
  return sessionId ? sessionPrincipal(runtime, sessionId) : undefined;
}

/**
 * The checks of one request against one route's access:
 * - a state-changing request with a session cookie must echo the session's CSRF token in
 *   `X-CSRF-Token` (a token request carries no ambient credential, so it needs none);
 * - a state-changing request that names another site in `Origin` is refused whatever it carries;
 * - then the role must hold the route's permission.
 */
export function authorize(request: FastifyRequest, access: Access, principal: Principal | undefined): void {
  const changes = !SAFE_METHODS.has(request.method);
  if (changes) checkOrigin(request);
  if (access === 'public') return;
  if (!principal) {
    throw new DataalmError('UNAUTHENTICATED', 'sign in first, or send an API token', {
      remedy: 'POST /api/session with a user name and password, or send Authorization: Bearer <token> (dataalm token create)',
    });
  }
  if (changes && principal.via === 'session') {
    const sent = request.headers['x-csrf-token'];
    if (typeof sent !== 'string' || !sameSecret(sent, principal.csrfToken ?? '')) {
      throw new DataalmError('FORBIDDEN', 'missing or wrong X-CSRF-Token header', { remedy: 'send the csrfToken of GET /api/session in the X-CSRF-Token header' });
    }
  }
  if (access !== 'signed-in' && !can(principal.user.role, access)) {
    throw new DataalmError('FORBIDDEN', `your role (${principal.user.role}) may not do this: it needs the "${access}" permission`, {
      remedy: 'ask a project owner for a role that may (dataalm user set-role)',
    });
  }
}

function checkOrigin(request: FastifyRequest): void {
  const origin = request.headers.origin;
  if (origin === undefined) return;
  let host: string | undefined;
  try {
    host = new URL(origin).host;
  } catch {
    host = undefined;
  }
  // request.host is the Host header, or X-Forwarded-Host behind a trusted proxy.
  if (host !== request.host) throw new DataalmError('FORBIDDEN', 'a request from another site (Origin header) is refused');
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && crypto.timingSafeEqual(left, right);
}
