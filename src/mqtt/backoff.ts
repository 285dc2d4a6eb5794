/**
 * Reconnect delays: exponential backoff with full jitter, so a fleet that lost its broker
 * at the same moment does not come back in lock-step.
 */
import { fullJitterDelay } from "../backoff.ts";

const BASE_MS = 1000;

/**
 * The attempt number to retry with after an established session is lost: its ceiling is
 * `reconnect_max`. A broker restart drops the whole fleet at once, and a ceiling of 1 s
 * would bring every box back within the same second (the fleet drill saw 99 % of 200).
 */
export const AFTER_LOSS_ATTEMPT = 30;

/**
 * The delay before reconnect attempt `attempt` (0 for the first after a loss): a uniform
 * draw from [0, min(max, 1 s × 2^attempt)).
 *
 * ```ts
 * reconnectDelayMs(0, 60, () => 0.5); // 500
 * reconnectDelayMs(10, 60, () => 0.5); // 30000
 * ```
 */
export function reconnectDelayMs(
  attempt: number,
  reconnectMaxS: number,
  random: () => number = Math.random,
): number {
  return fullJitterDelay(attempt, { baseMs: BASE_MS, maxMs: reconnectMaxS * 1000 }, random);
}
