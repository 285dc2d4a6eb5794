/** A Clock that moves only when the test says so, and tells the test who is waiting. */
import type { Clock } from "../../src/io/clock.ts";

interface Timer {
  at: number;
  resolve: () => void;
}

export class ManualClock implements Clock {
  #now = Date.parse("2026-11-24T12:00:00Z");
  #mono = 0;
  #timers = new Set<Timer>();
  #sleepers: ((ms: number) => void)[] = [];
  /** Every duration asked of `sleep`, in order. */
  readonly sleeps: number[] = [];

  now(): number {
    return this.#now;
  }
  monotonic(): number {
    return this.#mono;
  }
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    this.sleeps.push(ms);
    for (const notify of this.#sleepers.splice(0)) notify(ms);
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer: Timer = { at: this.#mono + ms, resolve };
      this.#timers.add(timer);
      signal?.addEventListener("abort", () => {
        this.#timers.delete(timer);
        reject(signal.reason);
      }, { once: true });
    });
  }
  /** Resolves with the duration of the next `sleep` call (or of one made since `from`). */
  nextSleep(from = this.sleeps.length): Promise<number> {
    if (this.sleeps.length > from) return Promise.resolve(this.sleeps[from]);
    return new Promise((resolve) => this.#sleepers.push(resolve));
  }
  /** Moves time on, waking every sleeper whose time has come. */
  advance(ms: number): void {
    this.#mono += ms;
    this.#now += ms;
    for (const timer of [...this.#timers]) {
      if (timer.at <= this.#mono) {
        this.#timers.delete(timer);
        timer.resolve();
      }
    }
  }
}
