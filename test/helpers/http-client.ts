import { z } from 'zod';
import { ENDPOINTS, type Endpoint, endpointOf, errorAnswer, operationEvents, refusedAnswer } from '../../src/contract/index.ts';

/** One caller of the HTTP API in a test: anonymous, a login session (cookie + CSRF token), or a bearer token. */
export interface Caller {
  readonly label: string;
  readonly cookie?: string;
  readonly csrfToken?: string;
  readonly token?: string;
}

export interface Answer {
  readonly status: number;
  readonly text: string;
  readonly headers: Headers;
  json<T = Record<string, unknown>>(): T;
}

export async function call(
  baseUrl: string,
  caller: Caller,
  method: string,
  path: string,
  body?: unknown,
  extraHeaders: Record<string, string> = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...extraHeaders };
  if (caller.cookie) headers.cookie = caller.cookie;
  if (caller.token) headers.authorization = `Bearer ${caller.token}`;
  if (caller.csrfToken && !['GET', 'HEAD'].includes(method) && !('x-csrf-token' in extraHeaders)) headers['x-csrf-token'] = caller.csrfToken;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${baseUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await response.text();
  checkAnswer(method, path, response.status, response.headers, text);
  return { status: response.status, text, headers: response.headers, json: <T>() => JSON.parse(text) as T };
}

/** Fails with what is wrong when a body does not fit the schema exactly (a missing or an extra field included). */
function checkShape(schema: z.ZodType, value: unknown, what: string): void {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new Error(`${what} does not fit the API contract:\n${z.prettifyError(parsed.error)}\n${JSON.stringify(value).slice(0, 2000)}`);
}

/**
 * Checks an answer of the API against the contract (src/contract): a success has the
 * endpoint's status and, for JSON, fits its schema; a failure is an error or a refusal.
 */
export function checkAnswer(method: string, path: string, status: number, headers: Headers, text: string): void {
  const pathname = new URL(path, 'http://x').pathname;
  if (!pathname.startsWith('/api/') || pathname === '/api/openapi.json') return;
  const what = `${method} ${pathname} (${status})`;
  const endpoint: Endpoint | undefined = endpointOf(method, pathname);
  if (status < 400) {
    if (!endpoint) throw new Error(`${what} answered, but the API contract has no such endpoint`);
    const answer: { status: number; schema?: z.ZodType; contentType?: string } = ENDPOINTS[endpoint];
    if (status !== answer.status) throw new Error(`${what}: the contract says ${answer.status}`);
    if (answer.schema) {
      if (!(headers.get('content-type') ?? '').startsWith('application/json')) throw new Error(`${what} is not JSON`);
      checkShape(answer.schema, JSON.parse(text), what);
    } else if (!answer.contentType && text !== '') throw new Error(`${what} has a body, the contract none`);
    return;
  }
  if (!(headers.get('content-type') ?? '').startsWith('application/json')) throw new Error(`${what}: a failure that is not JSON`);
  checkShape(status === 409 && text.startsWith('{"refused"') ? refusedAnswer : errorAnswer, JSON.parse(text), what);
}

/** Checks one server-sent event of an operation's stream against the contract. */
export function checkEvent(event: string, data: unknown): void {
  const schema = (operationEvents as Record<string, z.ZodType>)[event];
  if (!schema) throw new Error(`event "${event}" is not in the API contract`);
  checkShape(schema, data, `event "${event}"`);
}

/** Signs in and returns the session's caller; throws with the answer when it fails. */
export async function signIn(baseUrl: string, username: string, password: string): Promise<Caller & { setCookie: string }> {
  const response = await fetch(`${baseUrl}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  const text = await response.text();
  checkAnswer('POST', '/api/session', response.status, response.headers, text);
  if (response.status !== 200) throw new Error(`sign-in of ${username}: ${response.status} ${text}`);
  const setCookie = response.headers.get('set-cookie') ?? '';
  const cookie = setCookie.split(';')[0]!;
  return { label: `${username} (session)`, cookie, csrfToken: (JSON.parse(text) as { csrfToken: string }).csrfToken, setCookie };
}
