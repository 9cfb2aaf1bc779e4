/**
 * How long a client waits before its next sign-in attempt, from the failures it made.
 *
 * Failures are counted per client address, and per user from that address. A user's
 * failures from other addresses never make anyone wait: refusing the right password
 * because someone else keeps guessing (a per-user lockout) would let anyone who knows a
 * user name keep that user out. An address that keeps failing waits longer after each
 * failure, up to a bound, and it waits whatever the password it sends next: answering
 * the right password with anything but "wait" would tell the guesser it was right.
 */

export interface FailureCount {
  /** Failures within the window. */
  readonly failures: number;
  /** Seconds since the last of them (by the control database's clock), null when none. */
  readonly secondsSinceLast: number | null;
}

export interface ThrottleRule {
  /** Failures that cost nothing: typing mistakes. */
  readonly free: number;
}

export const SIGN_IN_THROTTLE = {
  /** Failures older than this no longer count. */
  windowSeconds: 15 * 60,
  /** One user's failures from one address. */
  userAtAddress: { free: 5 },
  /**
   * All failures from one address, whatever user they name: a guesser trying many names,
   * looser so that people behind one address (an office) do not slow each other down.
   */
  address: { free: 30 },
  /** The wait after the first failure beyond the free ones; it doubles with each one more. */
  firstWaitSeconds: 1,
  /** The longest wait, so a forgetful user is never kept out for long. */
  maxWaitSeconds: 5 * 60,
} as const;

/** The wait the given number of failures earns, counted from the last of them. */
export function waitAfter(failures: number, rule: ThrottleRule): number {
  if (failures < rule.free) return 0;
  const doublings = Math.min(failures - rule.free, 30);
  return Math.min(SIGN_IN_THROTTLE.firstWaitSeconds * 2 ** doublings, SIGN_IN_THROTTLE.maxWaitSeconds);
}

/** Seconds (whole, at least 1) still to wait, or 0 when an attempt may be made now. */
export function secondsToWait(count: FailureCount, rule: ThrottleRule): number {
  if (count.secondsSinceLast === null) return 0;
  const remaining = waitAfter(count.failures, rule) - count.secondsSinceLast;
  return remaining > 0 ? Math.max(1, Math.ceil(remaining)) : 0;
}
