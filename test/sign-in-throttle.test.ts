import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { SIGN_IN_THROTTLE, secondsToWait, waitAfter } from '../src/domain/sign-in-throttle.ts';
import { OWNER_PASSWORD, type Service, startService } from './helpers/service.ts';

// Sign-in attempts from distinct client addresses: the service listens on 127.0.0.1 and
// each client binds its own loopback address (127.0.0.0/8 is all local on Linux), so the
// server sees real, distinct peer addresses without trusting any forwarded header.
const ATTACKER = '127.0.0.2';
const OWNER = '127.0.0.3';
const SPRAYER = '127.0.0.4';

interface SignIn {
  readonly status: number;
  readonly retryAfter: string | undefined;
  readonly body: { error?: { code: string; message: string; remedy?: string } };
}

function signInFrom(service: Service, from: string, username: string, password: string): Promise<SignIn> {
  const body = JSON.stringify({ username, password });
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: '127.0.0.1',
        port: service.port,
        path: '/api/session',
        method: 'POST',
        localAddress: from,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        timeout: 60_000,
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, retryAfter: response.headers['retry-after'] as string | undefined, body: JSON.parse(text) as SignIn['body'] }),
        );
      },
    );
    request.on('timeout', () => request.destroy(new Error('sign-in did not answer within 60 s')));
    request.on('error', reject);
    request.end(body);
  });
}

/**
 * Wrong passwords from `from`, as a guesser that obeys Retry-After does, until the service
 * makes it wait at least `minWait` seconds: long enough for the checks that follow to run
 * within the wait on a busy machine. Bounded by `limit` attempts.
 */
async function failUntilThrottled(
  service: Service,
  from: string,
  names: (i: number) => string,
  options: { limit: number; minWait: number },
): Promise<{ failures: number; answer: SignIn }> {
  let failures = 0;
  for (let i = 0; i < options.limit; i += 1) {
    const answer = await signInFrom(service, from, names(i), `wrong-guess-${i}`);
    if (answer.status === 429) {
      const wait = Number(answer.retryAfter);
      assert.ok(wait >= 1 && wait <= SIGN_IN_THROTTLE.maxWaitSeconds, `Retry-After: ${answer.retryAfter}`);
      if (wait >= options.minWait) return { failures, answer };
      await new Promise((resolve) => setTimeout(resolve, wait * 1000 + 100));
    } else {
      assert.equal(answer.status, 401, JSON.stringify(answer.body));
      failures += 1;
    }
  }
  assert.fail(`${from} was never made to wait ${options.minWait} s in ${options.limit} attempts`);
}

describe('sign-in throttle: the wait each failure earns', () => {
  test('free failures first, then a wait that doubles, up to a bound', () => {
    const rule = SIGN_IN_THROTTLE.userAtAddress;
    assert.equal(waitAfter(rule.free - 1, rule), 0);
    assert.equal(waitAfter(rule.free, rule), SIGN_IN_THROTTLE.firstWaitSeconds);
    assert.equal(waitAfter(rule.free + 3, rule), SIGN_IN_THROTTLE.firstWaitSeconds * 8);
    assert.equal(waitAfter(rule.free + 1000, rule), SIGN_IN_THROTTLE.maxWaitSeconds);
    assert.equal(secondsToWait({ failures: 0, secondsSinceLast: null }, rule), 0);
    assert.equal(secondsToWait({ failures: rule.free + 2, secondsSinceLast: 1.5 }, rule), 3);
    assert.equal(secondsToWait({ failures: rule.free + 2, secondsSinceLast: 4 }, rule), 0);
    assert.equal(secondsToWait({ failures: rule.free + 2, secondsSinceLast: 3.99 }, rule), 1, 'a wait is at least a second');
  });
});

describe('sign-in throttle over HTTP', () => {
  let service: Service;
  before(async () => {
    service = await startService('throttle');
  });
  after(async () => {
    await service?.stop();
  });

  test('the owner signs in while an attacker keeps failing', async () => {
    const attack = await failUntilThrottled(service, ATTACKER, () => 'admin', { limit: 20, minWait: 8 });
    assert.ok(attack.failures >= SIGN_IN_THROTTLE.userAtAddress.free, `the first failures are free (${attack.failures})`);
    assert.equal(attack.answer.body.error?.code, 'RATE_LIMITED');
    assert.ok(Number(attack.answer.retryAfter) >= 1, `Retry-After: ${attack.answer.retryAfter}`);
    assert.match(attack.answer.body.error?.remedy ?? '', /try again in \d+ s/);

    // During the attack: the owner, from an address that has not been failing, gets in.
    assert.equal((await signInFrom(service, OWNER, 'admin', OWNER_PASSWORD)).status, 200);
    // The attacker's right guess waits like a wrong one: the answer tells nothing.
    const guessed = await signInFrom(service, ATTACKER, 'admin', OWNER_PASSWORD);
    assert.equal(guessed.status, 429);
    assert.ok(Number(guessed.retryAfter) >= 1);
    // The attacker keeps going; the owner still gets in, a wrong password of theirs is an
    // ordinary failure, and then the right one again.
    assert.equal((await signInFrom(service, ATTACKER, 'admin', 'another-wrong-guess')).status, 429);
    assert.equal((await signInFrom(service, OWNER, 'admin', 'a typing mistake')).status, 401);
    assert.equal((await signInFrom(service, OWNER, 'admin', OWNER_PASSWORD)).status, 200);
  });

  test('an address trying many names waits too, and then for every name', async () => {
    const spray = await failUntilThrottled(service, SPRAYER, (i) => `guess-${i}`, { limit: SIGN_IN_THROTTLE.address.free + 10, minWait: 4 });
    assert.ok(spray.failures >= SIGN_IN_THROTTLE.address.free, `the first failures are free (${spray.failures})`);
    assert.ok(Number(spray.answer.retryAfter) >= 1);
    assert.equal((await signInFrom(service, SPRAYER, 'admin', OWNER_PASSWORD)).status, 429);
    assert.equal((await signInFrom(service, OWNER, 'admin', OWNER_PASSWORD)).status, 200, 'other addresses are not slowed down');
  });
});
