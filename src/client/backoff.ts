/**
 * Jittered exponential backoff: attempt n waits between half and all of `min(maxMs, initialMs·2^(n-1))`.
 * The jitter spreads the reconnects of many pipelines after a server restart, so they do not all
 * arrive in the same millisecond; the half kept fixed stops a run of near-zero waits.
 */
export interface BackoffOptions {
  /** First wait in ms. Default 100. */
  initialMs?: number;
  /** Longest wait in ms. Default 5000. */
  maxMs?: number;
}

export function backoffDelay(attempt: number, o: BackoffOptions = {}, random: () => number = Math.random): number {
  const initial = o.initialMs ?? 100;
  const max = o.maxMs ?? 5000;
  const cap = Math.min(max, initial * 2 ** Math.min(30, Math.max(0, attempt - 1)));
  return Math.round(cap / 2 + (random() * cap) / 2);
}
