/**
 * Delay before the next retry: doubling from `baseMs` up to `maxMs`, with equal jitter (half fixed,
 * half random) so that many retries started together spread out but never come too soon.
 */
export function backoffDelay(attempts: number, baseMs: number, maxMs: number, random: () => number = Math.random): number {
  const exp = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempts));
  return Math.round(exp / 2 + (random() * exp) / 2);
}
