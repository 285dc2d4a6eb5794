/**
 * The `uplink` capability: every upload interval (and on `flush` or a reconnect) the spool
 * is drained to `stats_url`; with `no-cache` it POSTs each sample instead.
 */
import type { Capability, CapabilityContext } from "../capability.ts";
import { cacheOff } from "../config/mod.ts";
import { CommandError } from "../control/mod.ts";
import { SEGMENT_BYTES, type Spool } from "../spool/mod.ts";
import { apiUrl } from "../io/mod.ts";
import { DirectSink } from "./direct.ts";
import { StatsPoster } from "./poster.ts";
import { Uploader, type UploadReport } from "./uploader.ts";

/** No single request may hang the loop; a 256 KiB segment needs far less on any link. */
const REQUEST_TIMEOUT_MS = 60_000;
const BACKOFF = { baseMs: 5_000, maxMs: 600_000 };

export const UPLINK_COUNTERS = ["stats-sent", "stats-rejected", "uploads-ok", "uploads-failed"];

/** What the uplink needs of the others: the cache it uploads. */
export interface UplinkDeps {
  /** The open spool; none with `no-cache`, when samples come to `push`. */
  spool(): Spool | undefined;
}

/** The `uplink` capability: uploads the spool every interval (or each sample with `no-cache`), `ctl flush`. */
export class UplinkCapability implements Capability {
  readonly name = "uplink";
  #stop = new AbortController();
  #wake: AbortController | undefined;
  #uploader: Uploader | undefined;
  #direct: DirectSink | undefined;
  #loop: Promise<void> | undefined;
  #last: UploadReport | undefined;

  /** Uploads nothing yet: `start()` does. */
  constructor(private readonly ctx: CapabilityContext, private readonly deps: UplinkDeps) {
    ctx.counters.declare(...UPLINK_COUNTERS);
    ctx.commands.register({
      name: "flush",
      description: "upload the cached stats now; answers the samples sent and left",
      capability: "uplink",
      run: () => this.flush(),
    });
  }

  start(): Promise<void> {
    const { config, counters, io } = this.ctx;
    const log = this.ctx.log.child("uplink");
    this.#stop = new AbortController();
    const urls = [config.stats_url, config.backup_stats_url]
      .filter((u): u is string => !!u)
      .map((u) => apiUrl(u, { token: config.token, mac: this.ctx.mac }));
    if (urls.length === 0) {
      log.warn("no stats_url: samples are cached, not uploaded");
      return Promise.resolve();
    }
    const poster = new StatsPoster({
      urls,
      fetch: io.net.fetch,
      clock: io.clock,
      log,
      counters,
      timeoutMs: REQUEST_TIMEOUT_MS,
      signal: this.#stop.signal,
      // With an init server, a refused token asks it for the config again (SocketMan did).
      tokenRefused: () => this.ctx.configFile?.reprovision?.(),
    });
    if (cacheOff(config)) {
      this.#direct = new DirectSink(poster, counters);
      return Promise.resolve();
    }
    const spool = this.deps.spool();
    if (!spool) throw new Error("the cache is not running (cache_dir unusable?)");
    this.#uploader = new Uploader({
      spool,
      poster,
      format: config.upload_format,
      backoff: BACKOFF,
      clock: io.clock,
      log,
      counters,
    });
    this.#loop = this.#run(this.#uploader, config.heartbeat * 1000);
    return Promise.resolve();
  }

  /** The largest sample POSTed directly (with `no-cache`). */
  get maxBytes(): number {
    return SEGMENT_BYTES;
  }

  /** With `no-cache`: POSTs the sample (in the background). */
  push(sample: unknown): Promise<void> {
    if (!this.#direct) return Promise.reject(new Error("uplink not sending samples directly"));
    return this.#direct.push(sample);
  }

  /** Uploads now (reconnect); the loop then waits a full interval again. */
  trigger(): void {
    this.#wake?.abort();
  }

  /** Uploads what is cached now: records sent and left, and when a failure will be retried. */
  async flush(): Promise<{ sent: number; rejected: number; left: number; retry_in_s?: number }> {
    if (this.#direct) {
      await this.#direct.settled();
      return { sent: 0, rejected: 0, left: 0 };
    }
    if (!this.#uploader) throw new CommandError(409, "no stats_url configured");
    const report = this.#last = await this.#uploader.uploadNow();
    const { sent, rejected, left, retryInMs } = report;
    return {
      sent,
      rejected,
      left,
      ...(retryInMs === undefined ? {} : { retry_in_s: Math.ceil(retryInMs / 1000) }),
    };
  }

  async #run(uploader: Uploader, intervalMs: number): Promise<void> {
    const log = this.ctx.log.child("uplink");
    // The first run is at once: whatever a previous process left behind goes out now.
    while (!this.#stop.signal.aborted) {
      let delay = intervalMs;
      try {
        this.#last = await uploader.uploadNow();
        delay = this.#last.retryInMs ?? intervalMs;
      } catch (error) {
        log.error("upload run failed", { error });
      }
      this.#wake = new AbortController();
      try {
        await this.ctx.io.clock.sleep(
          delay,
          AbortSignal.any([this.#stop.signal, this.#wake.signal]),
        );
      } catch {
        // woken early: stop, flush or reconnect
      }
    }
  }

  async stop(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
    await this.#direct?.settled();
  }

  state(): string {
    if (this.#direct) return "sending each sample (no-cache)";
    if (!this.#uploader) return "no stats_url: caching only";
    const last = this.#last;
    if (!last) return "starting";
    if (last.retryInMs === undefined) return `idle, last run sent ${last.sent}`;
    return `backing off after ${this.#uploader.failures} failed runs, ${last.left} samples waiting`;
  }
}
