/** The `spool` capability: the Spool in `cache_dir`, and the sample sink the collector feeds. */
import type { Capability, CapabilityContext } from "../capability.ts";
import { segmentLimit } from "./segments.ts";
import { Spool } from "./spool.ts";

export const SPOOL_COUNTERS = ["stats-cached", "stats-dropped"] as const;

/** The `spool` capability: the stats cache on disk that the collector pushes into and the uplink drains. */
export class SpoolCapability implements Capability {
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

  /** The largest record the cache holds: one segment (the collector bounds to it). */
  get maxBytes(): number {
    return segmentLimit(this.ctx.config.cache_max);
  }

  /**
   * Appends one record (a sample) to the batch. While the spool is not running (cache_dir
   * unusable, retrying) or refuses it, the promise rejects with why (the collector counts
   * the sample as dropped).
   */
  push(record: unknown): Promise<void> {
    try {
      const spool = this.#spool;
      if (!spool) throw new Error("cache not running");
      spool.append(record);
    } catch (error) {
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
