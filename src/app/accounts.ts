import crypto from 'node:crypto';
import { type Actor, SYSTEM_ACTOR } from '../domain/actor.js';
import { type Role, isRole } from '../domain/access.js';
import { DataalmError } from '../domain/errors/dataalm-error.js';
import { decoyHash, digest, hashPassword, randomSecret, verifyPassword } from '../adapters/secrets/password-hash.js';
import type { ApiToken, User } from '../adapters/store/account-store.js';
import { SIGN_IN_THROTTLE, secondsToWait } from '../domain/sign-in-throttle.js';
import type { Runtime } from './runtime.js';

export type { ApiToken, User } from '../adapters/store/account-store.js';

/** Name of the project owner created on the first start. */
export const FIRST_OWNER = 'admin';

/** A login session lasts this long; then the person signs in again. */
export const SESSION_SECONDS = 12 * 60 * 60;

export const MIN_PASSWORD_LENGTH = 12;

const TOKEN_PREFIX = 'dtk_';

/** Who a request acts as, once its session cookie or token is checked. */
export interface Principal {
  readonly user: User;
  readonly via: 'session' | 'token';
  /** The session's CSRF token, which every state-changing request must echo. */
  readonly csrfToken?: string;
}

/**
 * On the first start there are no users: one project owner, `admin`, is created with
 * DATAALM_ADMIN_PASSWORD, or with a generated password that is returned to be shown once.
 */
export async function ensureFirstOwner(runtime: Runtime): Promise<{ name: string; generatedPassword?: string } | undefined> {
  if ((await runtime.accounts.countUsers()) > 0) return undefined;
  const password = runtime.config.adminPassword ?? crypto.randomBytes(12).toString('base64url');
  try {
    await runtime.accounts.createUser(FIRST_OWNER, 'owner', await hashPassword(password), SYSTEM_ACTOR);
  } catch (error) {
    if (error instanceof DataalmError && error.code === 'ALREADY_EXISTS') return undefined; // another process was first
    throw error;
  }
  return runtime.config.adminPassword === undefined ? { name: FIRST_OWNER, generatedPassword: password } : { name: FIRST_OWNER };
}

export function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new DataalmError('INVALID_INPUT', `password: must be at least ${MIN_PASSWORD_LENGTH} characters`, { field: 'password' });
  }
  if (password.length > 200) throw new DataalmError('INVALID_INPUT', 'password: must be at most 200 characters', { field: 'password' });
}

export function checkUserName(name: string): void {
  if (!/^[a-z0-9][a-z0-9._-]{0,62}$/.test(name)) {
    throw new DataalmError('INVALID_INPUT', `name: "${name}" is not a user name (lower-case letters, digits, dot, dash, underscore; up to 63)`, {
      field: 'name',
    });
  }
}

export function parseRole(text: string): Role {
  if (!isRole(text)) throw new DataalmError('INVALID_INPUT', `role: "${text}" is not a role (owner, manager or member)`, { field: 'role' });
  return text;
}

export async function addUser(runtime: Runtime, input: { name: string; role: string; password: string }, actor: Actor): Promise<User> {
  checkUserName(input.name);
  const role = parseRole(input.role);
  checkPassword(input.password);
  return runtime.accounts.createUser(input.name, role, await hashPassword(input.password), actor);
}

export async function setPassword(runtime: Runtime, name: string, password: string, actor: Actor): Promise<void> {
  checkPassword(password);
  await runtime.accounts.setPasswordHash(name, await hashPassword(password), actor);
}

/**
 * Checks a user name and password; a wrong name and a wrong password fail alike and take
 * as long. Both outcomes are audited, with the client's address. The failures in the audit
 * log are what the sign-in throttle counts, so it holds across restarts: an address that
 * keeps failing waits (see sign-in-throttle.ts), and so does the right password from it;
 * another address is never refused for someone else's failures. A name that is no user
 * is not written down: it may be a password typed into the wrong field.
 */
export async function login(runtime: Runtime, name: string, password: string, origin: string): Promise<{ user: User; sessionId: string; csrfToken: string }> {
  const found = await runtime.accounts.findUserWithHash(name);
  await checkSignInThrottle(runtime, found?.user.name ?? null, origin);
  const ok = await verifyPassword(password, found?.passwordHash ?? (await decoyHash()));
  if (!found || !ok) {
    await runtime.accounts.audit({ name: found ? found.user.name : '(unknown user)', origin }, 'login.failed', found ? found.user.name : null);
    throw new DataalmError('UNAUTHENTICATED', 'wrong user name or password');
  }
  const sessionId = randomSecret();
  const csrfToken = randomSecret();
  await runtime.accounts.createSession(found.user.id, digest(sessionId), csrfToken, SESSION_SECONDS, origin);
  await runtime.accounts.audit({ name, origin }, 'login', name);
  return { user: found.user, sessionId, csrfToken };
}

/**
 * A signed-in user's own new password. The current one is checked first, and a wrong one
 * counts as a failed sign-in, so a stolen session cannot guess it unhindered. Every session
 * of the user ends, this one too.
 */
export async function changeOwnPassword(runtime: Runtime, name: string, current: string, next: string, actor: Actor): Promise<void> {
  checkPassword(next);
  const found = await runtime.accounts.findUserWithHash(name);
  if (!found) throw new DataalmError('UNAUTHENTICATED', 'the user no longer exists');
  await checkSignInThrottle(runtime, name, actor.origin);
  if (!(await verifyPassword(current, found.passwordHash))) {
    await runtime.accounts.audit(actor, 'login.failed', name, { during: 'password change' });
    throw new DataalmError('INVALID_INPUT', 'currentPassword: is not your current password', { field: 'currentPassword' });
  }
  await runtime.accounts.setPasswordHash(name, await hashPassword(next), actor);
}

/**
 * Refuses an attempt from an address that has to wait after its failures: for this user
 * (when the name is a user's), or for all the names it tried. Checked before the password,
 * so the answer tells nothing about it.
 */
async function checkSignInThrottle(runtime: Runtime, user: string | null, origin: string): Promise<void> {
  const { windowSeconds } = SIGN_IN_THROTTLE;
  const forUser = user === null ? 0 : secondsToWait(await runtime.accounts.failedSignIns(origin, user, windowSeconds), SIGN_IN_THROTTLE.userAtAddress);
  const forAddress = secondsToWait(await runtime.accounts.failedSignIns(origin, null, windowSeconds), SIGN_IN_THROTTLE.address);
  const wait = Math.max(forUser, forAddress);
  if (wait > 0) {
    throw new DataalmError('RATE_LIMITED', 'too many failed sign-ins from this address', {
      remedy: `try again in ${wait} s; each further failure doubles the wait (up to ${SIGN_IN_THROTTLE.maxWaitSeconds / 60} minutes)`,
      retryAfterSeconds: wait,
    });
  }
}

export async function sessionPrincipal(runtime: Runtime, sessionId: string): Promise<Principal | undefined> {
  const session = await runtime.accounts.findSession(digest(sessionId));
  return session && { user: session.user, via: 'session', csrfToken: session.csrfToken };
}

export async function tokenPrincipal(runtime: Runtime, token: string): Promise<Principal | undefined> {
  const user = await runtime.accounts.findTokenUser(digest(token));
  return user && { user, via: 'token' };
}

export async function logout(runtime: Runtime, sessionId: string, actor: Actor): Promise<void> {
  await endSession(runtime, sessionId);
  await runtime.accounts.audit(actor, 'logout', actor.name);
}

export async function endSession(runtime: Runtime, sessionId: string): Promise<void> {
  await runtime.accounts.deleteSession(digest(sessionId));
}

/** A new API token for `user`; the token itself is returned once and stored only as a hash. */
export async function createToken(runtime: Runtime, userName: string, name: string, actor: Actor): Promise<ApiToken & { token: string }> {
  if (!/^[\p{L}\p{N} ._:/-]{1,100}$/u.test(name)) {
    throw new DataalmError('INVALID_INPUT', 'name: 1 to 100 letters, digits, spaces and . _ : / -', { field: 'name' });
  }
  const user = await runtime.accounts.getUser(userName);
  const token = randomSecret(TOKEN_PREFIX);
  const created = await runtime.accounts.createToken(user, name, digest(token), actor);
  return { ...created, token };
}
