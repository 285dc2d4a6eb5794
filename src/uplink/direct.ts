/**
 * `no-cache: 1`: each sample is POSTed on its own as plain JSON, nothing touches the disk.
 * A sample that cannot be delivered is counted as dropped: that is the operator's choice.
 */
import type { Counters } from "../counters.ts";
import { SEGMENT_BYTES } from "../spool/mod.ts";
import type { StatsPoster } from "./poster.ts";

/** Samples in flight at most; a slow API costs samples, never memory. */
const MAX_IN_FLIGHT = 4;

/** Each sample POSTed on its own. */
export class DirectSink {
  /** The largest sample POSTed, as the cache would hold it (one segment). */
  readonly maxBytes = SEGMENT_BYTES;
  readonly #inFlight = new Set<Promise<void>>();

  constructor(private readonly poster: StatsPoster, private readonly counters: Counters) {}

  /** Starts the POST and resolves at once: the collector never waits for the network. */
  push(sample: unknown): Promise<void> {
    if (this.#inFlight.size >= MAX_IN_FLIGHT) {
      this.counters.inc("stats-dropped");
      return Promise.resolve();
    }
    const body = JSON.stringify(sample);
    const sending = this.poster.send(() => ({
      headers: { "Content-Type": "application/json" },
      body,
    })).then((result) => {
      this.counters.inc(result.verdict === "sent" ? "stats-sent" : "stats-dropped");
    }).finally(() => this.#inFlight.delete(sending));
    this.#inFlight.add(sending);
    return Promise.resolve();
  }

  /** Resolves once every POST in flight has ended. */
  async settled(): Promise<void> {
    await Promise.all(this.#inFlight);
  }
}
