/**
 * JetStream API requests that fail while a NATS cluster re-elects (one server of an R3 cluster
 * dead: `timeout` for seconds on end, measured in test/cluster/join-replay.test.ts) are asked
 * again with backoff, for a bounded time: the reader of a `since` replay and the stream info it
 * starts from ask through here, so a passing election delays a replay instead of failing it.
 */
import { UnavailableError } from '../errors.js';

/** No progress for this long and a replay gives up (`unavailable`); the client resumes later. */
export const GIVE_UP_MS = 30_000;

/** The wait before attempt `attempt + 1` (0-based): 100 ms doubling, at most 2 s. */
export function backoffMs(attempt: number): number {
  return Math.min(2000, 100 * 2 ** attempt);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * `step`, asked again after each failure until it succeeds or `giveUpMs` have passed since the
 * first attempt; then an `UnavailableError` naming `what` with the last failure as its cause.
 * `onRetry` hears every failure that is retried (for logs and metrics).
 */
export async function retryFor<T>(what: string, step: () => Promise<T>, opts: { giveUpMs?: number; onRetry?: (err: Error) => void } = {}): Promise<T> {
  const giveUpMs = opts.giveUpMs ?? GIVE_UP_MS;
  const t0 = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      return await step();
    } catch (err) {
      if (Date.now() - t0 >= giveUpMs) throw new UnavailableError(what, giveUpMs, err);
      opts.onRetry?.(err as Error);
      await sleep(Math.min(backoffMs(attempt), Math.max(0, t0 + giveUpMs - Date.now())));
    }
  }
}
