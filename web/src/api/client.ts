import type { Reason } from './types';

/** A failed API call: the server's error code, message and remedy, or the reasons of a refusal. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly remedy?: string,
    readonly reasons: readonly Reason[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** What a failed call threw, as an ApiError: a network failure becomes NETWORK. */
export function asApiError(reason: unknown): ApiError {
  return reason instanceof ApiError ? reason : new ApiError(0, 'NETWORK', 'The service could not be reached.');
}

let csrfToken: string | null = null;
let onUnauthenticated: () => void = () => {};

/** The token sent with every state-changing request; it comes with the session. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when an authenticated request comes back 401: the session has ended. */
export function whenUnauthenticated(handler: () => void): void {
  onUnauthenticated = handler;
}

async function errorOf(response: Response): Promise<ApiError> {
  const body: unknown = await response.json().catch(() => null);
  if (isObject(body) && body.refused === true && Array.isArray(body.reasons)) {
    const reasons = body.reasons as Reason[];
    return new ApiError(response.status, 'REFUSED', reasons.map((r) => r.message).join(' '), undefined, reasons);
  }
  if (isObject(body) && isObject(body.error)) {
    const { code, message, remedy } = body.error;
    return new ApiError(
      response.status,
      typeof code === 'string' ? code : 'ERROR',
      typeof message === 'string' ? message : response.statusText,
      typeof remedy === 'string' ? remedy : undefined,
    );
  }
  return new ApiError(response.status, 'ERROR', `The server answered ${response.status} ${response.statusText}.`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

async function request<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? null : JSON.stringify(body),
    signal: signal ?? null,
  });
  if (!response.ok) {
    const error = await errorOf(response);
    if (response.status === 401 && path !== '/api/session') onUnauthenticated();
    throw error;
  }
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

export const api = {
  get: <T>(path: string, signal?: AbortSignal) => request<T>('GET', path, undefined, signal),
  post: <T>(path: string, body?: unknown) => request<T>('POST', path, body ?? {}),
  put: <T>(path: string, body: unknown) => request<T>('PUT', path, body),
  patch: <T>(path: string, body: unknown) => request<T>('PATCH', path, body),
  delete: <T = void>(path: string) => request<T>('DELETE', path),
};

/** Path segment or query value, encoded. */
export const enc = encodeURIComponent;
