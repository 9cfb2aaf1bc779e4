/**
 * Waiting in tests is polling an observable condition with a bounded timeout, never a
 * fixed sleep: a slow machine only makes a test slower, not wrong, and a fast one does not
 * wait for nothing.
 */

export interface WaitOptions {
  /** How long to keep trying before failing (Default: 60 s). */
  readonly timeoutMs?: number;
  /** Pause between two checks (Default: 50 ms). */
  readonly intervalMs?: number;
}

/** The pause between two checks of a polling loop; not a way to wait for something. */
export function pollPause(ms = 50): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Calls `check` until it returns something other than undefined or false, and returns that.
 * An error `check` throws ends the wait at once. Fails after `timeoutMs` saying what was
 * awaited and what the last check returned.
 */
export async function waitFor<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, options: WaitOptions = {}): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs / 1000} s for ${what}, in vain`);
    await pollPause(options.intervalMs ?? 50);
  }
}

/** Resolves with the promise's value, or with `fallback` if it has not settled within `ms`. */
export async function within<T, F>(promise: Promise<T>, ms: number, fallback: F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<F>((resolve) => (timer = setTimeout(() => resolve(fallback), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
