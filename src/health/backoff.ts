/** Retry delays that double up to a cap, with jitter so a fleet does not retry in step. */
export interface Backoff {
  baseMs: number;
  maxMs: number;
  /** ±fraction of the delay, e.g. 0.2. */
  jitter: number;
}

/**
 * The delay before retry number `attempt` (0-based); `random` in [0, 1).
 *
 * ```ts
 * retryDelay({ baseMs: 15_000, maxMs: 300_000, jitter: 0.2 }, 0, () => 0.5); // 15000
 * ```
 */
export function retryDelay(backoff: Backoff, attempt: number, random: () => number): number {
  const plain = Math.min(backoff.baseMs * 2 ** attempt, backoff.maxMs);
  return Math.round(plain * (1 + backoff.jitter * (2 * random() - 1)));
}
