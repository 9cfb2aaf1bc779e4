import { DataalmError, ERROR_CODES, type ErrorCode, RefusedError } from '../../domain/errors/dataalm-error.js';
import type { Endpoint, ResponseOf } from '../../contract/index.js';

/** The `:param` names of an endpoint's path. */
type ParamsOf<P extends string> = P extends `${string}:${infer Name}/${infer Rest}` ? Name | ParamsOf<Rest> : P extends `${string}:${infer Name}` ? Name : never;

/** What a call of an endpoint sends: its path's parameters, a query and a body. */
export interface CallOptions<E extends Endpoint> {
  readonly params?: Record<ParamsOf<E>, string | number>;
  readonly query?: Record<string, string>;
  readonly body?: unknown;
}

/**
 * The HTTP API of a remote dataalm, as the CLI uses it with --server and DATAALM_TOKEN.
 * Its answers become the same errors a local run raises, so output and exit codes match.
 */
export class RemoteClient {
  readonly #base: URL;
  readonly #token: string;

  constructor(server: string, token: string) {
    this.#base = new URL(server.endsWith('/') ? server : `${server}/`);
    this.#token = token;
  }

  get server(): string {
    return this.#base.origin;
  }

  /**
   * Calls one endpoint of the API contract; the answer has the contract's type, its fields
   * as the server sends them.
   */
  async call<E extends Endpoint>(endpoint: E, options: CallOptions<E> = {}): Promise<ResponseOf<E>> {
    const [method, url] = endpoint.split(' ') as ['GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', string];
    const params = (options.params ?? {}) as Record<string, string | number>;
    const path = url.replace(/:([A-Za-z]+)/g, (_match, name: string) => encodeURIComponent(String(params[name])));
    const query = options.query && Object.keys(options.query).length > 0 ? `?${new URLSearchParams(options.query)}` : '';
    return this.#json<ResponseOf<E>>(method, path + query, options.body);
  }

  async #json<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const response = await this.#fetch(method, path, body);
    if (response.status === 204) return undefined as T;
    if (!(response.headers.get('content-type') ?? '').startsWith('application/json')) throw this.#notDataalm(response);
    return (await response.json()) as T;
  }

  /** An answer that is not the API's: the URL names a web page, another program, or a path inside dataalm. */
  #notDataalm(response: Response): DataalmError {
    return new DataalmError('UNREACHABLE_SERVER', `${this.#base.href} answered with ${response.headers.get('content-type') ?? 'no content type'}, not dataalm's API`, {
      field: 'server',
      remedy: 'give the address dataalm start prints, e.g. http://host:4280 (no path)',
    });
  }

  async text(path: string): Promise<string> {
    return (await this.#fetch('GET', path)).text();
  }

  /** Follows a server-sent event stream until the server ends it or `signal` aborts. */
  async events(path: string, onEvent: (event: string, data: unknown) => void, signal?: AbortSignal): Promise<void> {
    const response = await this.#fetch('GET', path, undefined, signal);
    if (!(response.headers.get('content-type') ?? '').startsWith('text/event-stream')) throw this.#notDataalm(response);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          let data = '';
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('data: ')) data += line.slice(6);
          }
          if (data) onEvent(event, JSON.parse(data));
        }
      }
    } catch (error) {
      if (signal?.aborted) return;
      throw error;
    }
  }

  async #fetch(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<Response> {
    const url = new URL(path.replace(/^\//, ''), this.#base);
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: { authorization: `Bearer ${this.#token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(signal ? { signal } : {}),
      });
    } catch (cause) {
      if (signal?.aborted) throw cause;
      throw new DataalmError('UNREACHABLE_SERVER', `dataalm at ${this.#base.origin} does not answer (${(cause as { cause?: { code?: string } }).cause?.code ?? 'no connection'})`, {
        field: 'server',
        remedy: 'check --server (or DATAALM_SERVER) and that dataalm start runs there',
        cause,
      });
    }
    if (response.ok) return response;
    const answer = (await response.json().catch(() => undefined)) as
      | { error?: { code?: string; message?: string; field?: string; remedy?: string }; refused?: boolean; reasons?: { code: string; message: string; remedy: string }[] }
      | undefined;
    if (answer?.refused && answer.reasons) throw new RefusedError(answer.reasons);
    const code = (answer?.error?.code && answer.error.code in ERROR_CODES ? answer.error.code : 'INTERNAL') as ErrorCode;
    const message = answer?.error?.message ?? `${method} ${url.pathname} answered ${response.status}`;
    throw new DataalmError(code, message, {
      ...(answer?.error?.field ? { field: answer.error.field } : {}),
      ...(answer?.error?.remedy ? { remedy: answer.error.remedy } : code === 'UNAUTHENTICATED' ? { remedy: 'set DATAALM_TOKEN to a token of that server (dataalm token create)' } : {}),
    });
  }
}
