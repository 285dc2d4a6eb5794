/**
 * Where collected samples go: the spool (cache + upload) or, with `no-cache`, straight to
 * the uplink. The collector does not know which: it asks the sink for its limit and bounds
 * each sample to it before the push.
 */
import type { Sample } from "./sample.ts";

export type { Sample };

/** Where the collector hands its samples: the spool, or the uplink directly. */
export interface SampleSink {
  /** The largest sample (its JSON, in bytes) the sink takes. */
  readonly maxBytes: number;
  /**
   * Resolves once the sample is safely handed over (appended to the spool's batch); rejects
   * with why when it was not taken (the collector counts it as dropped).
   */
  push(sample: Sample): Promise<void>;
}
