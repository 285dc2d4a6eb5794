/** The `spool` capability: the Spool in `cache_dir`, and the SampleSink the collector feeds. */
import type { Capability, CapabilityContext } from "../capability.ts";
import { boundSample, type Sample, type SampleSink } from "../collect/mod.ts";
import { RecordTooLarge, Spool } from "./spool.ts";

export const SPOOL_COUNTERS = ["stats-cached", "stats-dropped"] as const;

/** The `spool` capability: the stats cache on disk that the collector pushes into and the uplink drains. */
export class SpoolCapability implements Capability, SampleSink {
  readonly name = "spool";
  #spool: Spool | undefined;

  /** Opens nothing yet: `start()` opens the spool. */
  constructor(private readonly ctx: CapabilityContext) {
    ctx.counters.declare(...SPOOL_COUNTERS);
  }

  /** The open spool, while the capability runs. */
  get spool(): Spool | undefined {
    return this.#spool;
  }

  async start(): Promise<void> {
    const { config, counters, io } = this.ctx;
    const log = this.ctx.log.child("spool");
    this.#spool = await Spool.open({
      dir: config.cache_dir,
      maxBytes: config.cache_max,
      clock: io.clock,
      fs: io.fs,
      onDrop: (records) => {
        counters.inc("stats-dropped", records);
        log.warn("cache full: oldest samples dropped", { records });
      },
      onDamage: (segment, { torn, corrupt }) =>
        log.warn("damaged lines skipped in the cache", { segment, torn, corrupt }),
    });
    if (this.#spool.records > 0) {
      log.info("cache resumed", { records: this.#spool.records, segments: this.#spool.segments });
    }
  }

  /**
   * Appends to the batch. While the spool is not running (cache_dir unusable, retrying) or
   * refuses the sample, it is counted as dropped and the promise rejects with why.
   */
  push(sample: Sample): Promise<void> {
    try {
      const spool = this.#spool;
      if (!spool) throw new Error("cache not running");
      try {
        spool.append(sample);
      } catch (error) {
        if (!(error instanceof RecordTooLarge)) throw error;
        spool.append(boundSample(sample, spool.maxRecordBytes));
      }
    } catch (error) {
      this.ctx.counters.inc("stats-dropped");
      return Promise.reject(error);
    }
    this.ctx.counters.inc("stats-cached");
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    const spool = this.#spool;
    this.#spool = undefined;
    await spool?.close();
  }

  state(): string {
    const spool = this.#spool;
    if (!spool) return "stopped";
    return `${spool.records} samples in ${spool.segments} segments, ${
      Math.ceil(spool.bytes / 1024)
    } KiB of ${Math.round(this.ctx.config.cache_max / 1024)} KiB`;
  }
}
