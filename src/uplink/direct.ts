/**
 * `no-cache: 1`: each sample is POSTed on its own as plain JSON, nothing touches the disk.
 * A sample that cannot be delivered is counted as dropped: that is the operator's choice.
 */
import { boundSample, type Sample, type SampleSink } from "../collect/mod.ts";
import type { Counters } from "../counters.ts";
import { SEGMENT_BYTES } from "../spool/mod.ts";
import type { StatsPoster } from "./poster.ts";

/** The largest sample POSTed, as the cache would hold it (one segment). */
const MAX_SAMPLE_BYTES = SEGMENT_BYTES;
/** Samples in flight at most; a slow API costs samples, never memory. */
const MAX_IN_FLIGHT = 4;

export class DirectSink implements SampleSink {
  readonly #inFlight = new Set<Promise<void>>();

  constructor(private readonly poster: StatsPoster, private readonly counters: Counters) {}

  /** Starts the POST and resolves at once: the collector never waits for the network. */
  push(sample: Sample): Promise<void> {
    if (this.#inFlight.size >= MAX_IN_FLIGHT) {
      this.counters.inc("stats-dropped");
      return Promise.resolve();
    }
    const body = JSON.stringify(boundSample(sample, MAX_SAMPLE_BYTES));
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
