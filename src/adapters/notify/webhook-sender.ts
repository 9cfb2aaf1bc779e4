import { createHmac, randomBytes } from 'node:crypto';
import { DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../domain/notification.js';
import { redactSecrets } from '../../domain/redaction.js';

/** What one attempt to send a notification came to. */
export interface SendResult {
  readonly ok: boolean;
  readonly httpStatus: number | null;
  /** Why it failed, in a line with no secret in it (no URL either: a webhook's URL may hold a token). */
  readonly error: string | null;
  readonly durationMs: number;
}

/** A new signing secret: 32 random bytes, as the receiver stores it (`whsec_` and base64url). */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString('base64url')}`;
}

/** `sha256=<hex>`: HMAC-SHA256 of the raw body with the subscription's secret. */
export function signBody(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/**
 * POSTs the body to the webhook, signed. A 2xx answer is a delivery; any other answer, a
 * redirect included (it is not followed), a network error or no answer within `timeoutMs`
 * is a failed attempt.
 */
export async function sendWebhook(request: {
  readonly url: string;
  readonly secret: string;
  readonly body: string;
  readonly event: string;
  readonly delivery: number;
  readonly timeoutMs: number;
}): Promise<SendResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const response = await fetch(request.url, {
      method: 'POST',
      redirect: 'manual',
      signal: AbortSignal.timeout(request.timeoutMs),
      headers: {
        'content-type': 'application/json',
        'user-agent': 'dataalm-notifications',
        [SIGNATURE_HEADER]: signBody(request.secret, request.body),
        [EVENT_HEADER]: request.event,
        [TIMESTAMP_HEADER]: String(Math.floor(Date.now() / 1000)),
        [DELIVERY_HEADER]: String(request.delivery),
      },
      body: request.body,
    });
    // The answer's body is not needed; reading it frees the connection.
    await response.arrayBuffer().catch(() => undefined);
    const ok = response.status >= 200 && response.status < 300;
    return { ok, httpStatus: response.status, error: ok ? null : `the receiver answered HTTP ${response.status}`, durationMs: elapsed() };
  } catch (error) {
    return { ok: false, httpStatus: null, error: networkError(error, request.timeoutMs), durationMs: elapsed() };
  }
}

/** A fetch failure as one line: its system error code where there is one (fetch's own message says only "fetch failed"). */
function networkError(error: unknown, timeoutMs: number): string {
  const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return `no answer within ${timeoutMs / 1000} s`;
  const cause = e.cause?.code ?? e.cause?.message ?? e.message ?? String(error);
  return redactSecrets(`the receiver could not be reached: ${cause}`);
}
