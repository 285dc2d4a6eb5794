/**
 * Retry delays that double up to a cap, with jitter so a fleet that lost its broker or API
 * at the same moment does not come back in lock-step. One module for every retry loop.
 */
export interface Backoff {
  /** The first delay's ceiling, ms. */
  baseMs: number;
  /** No delay is longer, ms. */
  maxMs: number;
}

/**
 * "Full jitter": a uniform draw from [0, min(max, base·2^attempt)), attempt 0-based; for
 * reconnects and uploads, where spreading the fleet matters more than a minimum delay.
 *
 * ```ts
 * fullJitterDelay(3, { baseMs: 1000, maxMs: 60_000 }, () => 0.5); // 4000
 * ```
 */
export function fullJitterDelay(attempt: number, backoff: Backoff, random: () => number): number {
  const ceiling = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.min(attempt, 30));
  return Math.floor(random() * ceiling);
}

/** A doubling delay with ± jitter around it. */
export interface BoundedBackoff extends Backoff {
  /** ±fraction of the delay, e.g. 0.2. */
  jitter: number;
}

/**
 * The doubled delay ±`jitter`; for polls that must not come faster than their base
 * (provisioning asks every 15 s at the quickest).
 *
 * ```ts
 * boundedJitterDelay(0, { baseMs: 15_000, maxMs: 300_000, jitter: 0.2 }, () => 0.5); // 15000
 * ```
 */
export function boundedJitterDelay(
  attempt: number,
  backoff: BoundedBackoff,
  random: () => number,
): number {
  const plain = Math.min(backoff.baseMs * 2 ** attempt, backoff.maxMs);
  return Math.round(plain * (1 + backoff.jitter * (2 * random() - 1)));
}
