/**
 * A flood must not flood the log: one line per kind of event per period, the others only
 * counted; when the period ends with some suppressed, one line says how many.
 */
import type { Clock } from "../io/mod.ts";

/** One line per kind per period; the rest counted, then summed up in one line. */
export class LogThrottle {
  #open = new Map<string, { suppressed: number }>();
  #stop = new AbortController();

  /** Periods of `periodMs` on `clock`. */
  constructor(
    private readonly clock: Clock,
    private readonly periodMs: number,
    /** Writes the summary of a period in which `suppressed` lines of `key` were not written. */
    private readonly summary: (key: string, suppressed: number) => void,
  ) {}

  /** Calls `write` unless a line of this kind was written within the period. */
  note(key: string, write: () => void): void {
    const period = this.#open.get(key);
    if (period) {
      period.suppressed++;
      return;
    }
    write();
    const opened = { suppressed: 0 };
    this.#open.set(key, opened);
    this.clock.sleep(this.periodMs, this.#stop.signal).then(() => {
      this.#open.delete(key);
      if (opened.suppressed > 0) this.summary(key, opened.suppressed);
    }, () => {});
  }

  /** Ends every period now (at stop), without summaries. */
  close(): void {
    this.#stop.abort();
    this.#stop = new AbortController();
    this.#open.clear();
  }
}
