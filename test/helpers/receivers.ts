import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

/** A request the webhook receiver got: its raw body (what the signature covers), parsed too. */
export interface Hook {
  readonly path: string;
  readonly raw: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Record<string, unknown>;
  /** What the receiver answered. */
  readonly status: number;
}

export interface Mail {
  readonly to: string[];
  /** The message as sent, with quoted-printable soft breaks and folded header lines undone. */
  readonly raw: string;
}

/** A local webhook receiver (node:http) and SMTP server (smtp-server), on loopback ports of their own. */
export interface Receivers {
  readonly hookUrl: string;
  readonly smtpUrl: string;
  readonly hooks: Hook[];
  readonly mails: Mail[];
  /** Statuses the receiver answers on a path, in turn; 200 once they run out. */
  readonly plans: Map<string, number[]>;
  close(): Promise<void>;
}

/** Whether the hook's X-Dataalm-Signature is the HMAC-SHA256 of its raw body with `secret`. */
export function signedWith(hook: Hook, secret: string): boolean {
  return hook.headers['x-dataalm-signature'] === `sha256=${createHmac('sha256', secret).update(hook.raw).digest('hex')}`;
}

export async function startReceivers(): Promise<Receivers> {
  const hooks: Hook[] = [];
  const mails: Mail[] = [];
  const plans = new Map<string, number[]>();
  const receiver = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const status = plans.get(request.url ?? '')?.shift() ?? 200;
      hooks.push({ path: request.url ?? '', raw, headers: request.headers, body: JSON.parse(raw) as Record<string, unknown>, status });
      response.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'try again');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  // Plain SMTP without authentication: what a relay inside the network offers.
  const smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, done) {
      let raw = '';
      stream.on('data', (c: Buffer) => (raw += c.toString('utf8')));
      stream.on('end', () => {
        mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: raw.replace(/=\r?\n/g, '').replace(/\r?\n[ \t]+/g, ' ') });
        done();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
  return {
    hookUrl: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`,
    smtpUrl: `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`,
    hooks,
    mails,
    plans,
    async close() {
      receiver.closeAllConnections();
      await new Promise((resolve) => receiver.close(resolve));
      await new Promise<void>((resolve) => smtp.close(() => resolve()));
    },
  };
}
