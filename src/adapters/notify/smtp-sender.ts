import nodemailer from 'nodemailer';
import { redactSecrets } from '../../domain/redaction.js';
import type { SendResult } from './webhook-sender.js';

/** How long the SMTP server may take to accept a connection, greet, and answer. */
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 };

/**
 * The SMTP server of DATAALM_SMTP_URL: `smtp://[user:password@]host[:port]` (STARTTLS when
 * the server offers it) or `smtps://…` (TLS from the start). Parsed here rather than by the
 * mail library, so that the timeouts can be set beside it.
 */
function transportOptions(smtpUrl: string): Record<string, unknown> {
  const url = new URL(smtpUrl);
  const secure = url.protocol === 'smtps:';
  return {
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port === '' ? (secure ? 465 : 587) : Number(url.port),
    secure,
    ...(url.username ? { auth: { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } } : {}),
    ...SMTP_TIMEOUTS,
  };
}

/** Sends one plain-text e-mail. The server's refusal or a connection failure is a failed attempt, told without credentials. */
export async function sendEmail(request: {
  readonly smtpUrl: string;
  readonly from: string;
  readonly to: string;
  readonly subject: string;
  readonly text: string;
}): Promise<SendResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const transport = nodemailer.createTransport(transportOptions(request.smtpUrl));
  try {
    await transport.sendMail({ from: request.from, to: request.to, subject: request.subject, text: request.text });
    return { ok: true, httpStatus: null, error: null, durationMs: elapsed() };
  } catch (error) {
    const e = error as { message?: string; responseCode?: number; code?: string };
    const password = safePassword(request.smtpUrl);
    let message = redactSecrets(`the SMTP server did not take it: ${e.message ?? String(error)}`);
    if (password) message = message.split(password).join('***');
    return { ok: false, httpStatus: null, error: message, durationMs: elapsed() };
  } finally {
    transport.close();
  }
}

function safePassword(smtpUrl: string): string | undefined {
  try {
    const password = decodeURIComponent(new URL(smtpUrl).password);
    return password.length >= 4 ? password : undefined;
  } catch {
    return undefined;
  }
}
