/**
 * A clock that moves only when a test says so: `advance(ms)` wakes every sleeper due on
 * the way, in order, and lets the woken code run before moving on.
 */
import type { Clock } from "../../src/io/mod.ts";

interface Sleeper {
  at: number;
  resolve: () => void;
}

export class FakeClock implements Clock {
  #mono = 0;
  #sleepers = new Set<Sleeper>();

  constructor(private readonly wallOrigin = Date.UTC(2026, 0, 1)) {}

  now(): number {
    return this.wallOrigin + this.#mono;
  }

  monotonic(): number {
    return this.#mono;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const sleeper: Sleeper = {
        at: this.#mono + Math.max(0, ms),
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.#sleepers.delete(sleeper);
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#sleepers.add(sleeper);
    });
  }

  /** Sleepers waiting now. */
  get pending(): number {
    return this.#sleepers.size;
  }

  /** Moves time forward by `ms`, waking sleepers in deadline order. */
  async advance(ms: number): Promise<void> {
    const target = this.#mono + ms;
    await settle();
    for (;;) {
      const due = [...this.#sleepers].filter((s) => s.at <= target).sort((a, b) => a.at - b.at);
      if (due.length === 0) break;
      this.#mono = due[0].at;
      this.#sleepers.delete(due[0]);
      due[0].resolve();
      await settle();
    }
    this.#mono = target;
  }
}

/** Lets every promise chain that is ready run to its next wait (one macrotask turn). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
