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
  return { status: response.status, text, headers: response.headers, json: <T>() => JSON.parse(text) as T };
}

/** Signs in and returns the session's caller; throws with the answer when it fails. */
export async function signIn(baseUrl: string, username: string, password: string): Promise<Caller & { setCookie: string }> {
  const response = await fetch(`${baseUrl}/api/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`sign-in of ${username}: ${response.status} ${text}`);
  const setCookie = response.headers.get('set-cookie') ?? '';
  const cookie = setCookie.split(';')[0]!;
  return { label: `${username} (session)`, cookie, csrfToken: (JSON.parse(text) as { csrfToken: string }).csrfToken, setCookie };
}
