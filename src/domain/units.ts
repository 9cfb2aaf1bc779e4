/**
 * How sizes, durations and estimates read, in the CLI, the logs and the web UI alike (the web
 * UI imports this file too, so it stays free of Node and of every other module). Sizes are in
 * binary (IEC) units: KiB, MiB, GiB, each 1024 of the one before.
 */

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/** Bytes as people read them: 800 B, 12.0 MiB, 1.5 GiB. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < BYTE_UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${BYTE_UNITS[unit]}`;
}

const BYTE_FACTORS: Readonly<Record<string, number>> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };

/**
 * A size a person types: "512MiB", "2 GiB", "1.5g", "64kB", "1073741824" (bytes). Every unit
 * counts in 1024s, as formatBytes writes them; undefined when the text is no size.
 */
export function parseByteSize(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(b|kib|mib|gib|tib|kb|mb|gb|tb|k|m|g|t)?\s*$/i.exec(text);
  if (!match) return undefined;
  const unit = (match[2] ?? 'b').toLowerCase()[0]!;
  const bytes = Math.round(Number(match[1]) * BYTE_FACTORS[unit]!);
  return Number.isSafeInteger(bytes) && bytes > 0 ? bytes : undefined;
}

/** 400 ms, 12 s, 3 min 5 s, 1 h 2 min. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/**
 * An estimate of the time left guesses from the rate so far; early on that rate says little
 * (connections open, the first tables are small or cached), so no estimate is made before
 * this much work has run and this share of it is done.
 */
export const ESTIMATE_AFTER = { seconds: 3, fraction: 0.05 } as const;

/**
 * Seconds left at the rate so far, or null while there is too little to go on (see
 * ESTIMATE_AFTER) or nothing is left to estimate.
 */
export function estimateSecondsLeft(progress: { readonly elapsedSeconds: number; readonly done: number; readonly total: number }): number | null {
  const { elapsedSeconds, done, total } = progress;
  if (total <= 0 || done <= 0 || elapsedSeconds < ESTIMATE_AFTER.seconds || done / total < ESTIMATE_AFTER.fraction) return null;
  return Math.round(Math.max(0, total - done) / (done / elapsedSeconds));
}
