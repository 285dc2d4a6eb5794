/**
 * The one fake clock of the tests: time moves only when a test says so. `advance(ms)` wakes
 * every sleeper due on the way, in deadline order, and lets the woken code run before
 * moving on; `step(ms)` moves the wall clock alone, as NTP does. Tests can also await the
 * sleeps the code under test asks for.
 */
import type { Clock } from "../../src/io/clock.ts";

interface Sleeper {
  at: number;
  resolve: () => void;
}

export class ManualClock implements Clock {
  #wall: number;
  #mono = 0;
  #sleepers = new Set<Sleeper>();
  #watchers: (() => void)[] = [];
  /** Every duration asked of `sleep`, in order. */
  readonly sleeps: number[] = [];

  constructor(wallStart = Date.parse("2026-11-24T12:00:00Z")) {
    this.#wall = wallStart;
  }

  now(): number {
    return this.#wall + this.#mono;
  }

  monotonic(): number {
    return this.#mono;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    this.sleeps.push(ms);
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
        this.#notify();
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#sleepers.add(sleeper);
      this.#notify();
    });
  }

  /** When the pending sleeps wake, in ms from now, soonest first. */
  get pending(): number[] {
    return [...this.#sleepers].map((s) => s.at - this.#mono).sort((a, b) => a - b);
  }

  /** Resolves with the duration of sleep number `index` (0-based), once it is asked for. */
  async nextSleep(index = this.sleeps.length): Promise<number> {
    while (this.sleeps.length <= index) await this.#change();
    return this.sleeps[index];
  }

  /** Resolves once exactly `count` sleeps are pending. */
  async untilPending(count: number): Promise<void> {
    while (this.#sleepers.size !== count) await this.#change();
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

  /** Steps the wall clock by `ms` (negative: back); the monotonic time never jumps. */
  step(ms: number): void {
    this.#wall += ms;
  }

  #change(): Promise<void> {
    return new Promise((resolve) => this.#watchers.push(resolve));
  }

  #notify(): void {
    for (const wake of this.#watchers.splice(0)) wake();
  }
}

/** Lets every promise chain that is ready run to its next wait (one macrotask turn). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}
