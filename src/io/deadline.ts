/**
 * The one deadline race: a promise against the injected clock, so that a hung resolver,
 * a stuck handler or a silent peer cannot stall the loop that waits for it, and fake-clock
 * tests drive the timeout like any other sleep.
 */
import type { Clock } from "./clock.ts";

/** What `deadline` resolves with when the time ran out first. */
export const TIMED_OUT: unique symbol = Symbol("timed out");

/**
 * `work`'s value, or `TIMED_OUT` when `ms` pass first (or `signal` aborts); the timer is
 * cleared either way, so a finished race never holds the process open. A rejection of
 * `work` within the time rejects.
 *
 * @example
 * const answer = await deadline(systemClock, 3000, Deno.resolveDns("example.com", "A"));
 * if (answer === TIMED_OUT) console.log("no answer within 3 s");
 */
export async function deadline<T>(
  clock: Clock,
  ms: number,
  work: Promise<T>,
  signal?: AbortSignal,
): Promise<T | typeof TIMED_OUT> {
  const timer = new AbortController();
  const stop = signal ? AbortSignal.any([timer.signal, signal]) : timer.signal;
  const timeout = clock.sleep(ms, stop).then(
    (): typeof TIMED_OUT => TIMED_OUT,
    (): typeof TIMED_OUT => TIMED_OUT,
  );
  try {
    return await Promise.race([work, timeout]);
  } finally {
    // A reason of our own: the default one is a DOMException, whose stack trace costs every
    // race (one per MQTT message) more than the rest of it.
    timer.abort(TIMED_OUT);
  }
}

/** Whether `work` settled (resolved or rejected) within `ms`. */
export async function settlesWithin(
  clock: Clock,
  ms: number,
  work: Promise<unknown>,
): Promise<boolean> {
  return await deadline(clock, ms, work.then(() => true, () => true)) !== TIMED_OUT;
}
