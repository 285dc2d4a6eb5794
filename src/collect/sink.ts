/**
 * Where collected samples go: the spool (cache + upload) or, with `no-cache`, straight to
 * the uplink. The collector does not know which.
 */
import type { Sample } from "./sample.ts";

export type { Sample };

/** Where the collector hands its samples: the spool, or the uplink directly. */
export interface SampleSink {
  /** Resolves once the sample is safely handed over (appended to the spool's batch). */
  push(sample: Sample): Promise<void>;
}
