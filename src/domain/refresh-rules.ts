/** Platform updates at or below this are refused, as the seed says ("update 20 or earlier"). */
export const DEFAULT_MIN_PLATFORM_UPDATE = 21;

/** Compares dotted version numbers part by part: -1, 0 or 1. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return Math.sign(d);
  }
  return 0;
}
