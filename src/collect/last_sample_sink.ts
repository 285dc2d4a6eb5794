import type { Sample, SampleSink } from "./sink.ts";

/** A sink that keeps only the newest sample: what `ledge collect` prints. */
export class LastSampleSink implements SampleSink {
  /** The newest sample pushed, if any. */
  last: Sample | undefined;
  /** As large as the cache would take one (`ledge collect` prints what would be uploaded). */
  readonly maxBytes = 256 * 1024;

  push(sample: Sample): Promise<void> {
    this.last = sample;
    return Promise.resolve();
  }
}
