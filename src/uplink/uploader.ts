/**
 * Drains the spool to the stats API: the oldest segment first, one POST per segment,
 * deleted only on a 2xx, set aside on a definitive refusal, kept on anything else while
 * the loop backs off (full jitter, or the server's Retry-After).
 */
import type { Clock } from "../io/clock.ts";
import type { Logger } from "../log/logger.ts";
import type { Counters } from "../counters.ts";
import type { Spool } from "../spool/spool.ts";
import { uploadBody, type UploadFormat } from "./body.ts";
import { type Backoff, backoffDelay, type Verdict } from "./policy.ts";
import type { StatsPoster } from "./poster.ts";

export interface UploaderOptions {
  spool: Spool;
  poster: StatsPoster;
  format: UploadFormat;
  backoff: Backoff;
  clock: Clock;
  log: Logger;
  counters: Counters;
  random?: () => number;
}

export interface UploadReport {
  /** Records delivered (2xx) by this run. */
  sent: number;
  /** Records set aside because the server refused them for good. */
  rejected: number;
  /** Records still in the spool. */
  left: number;
  /** How the run ended: `idle` when the spool was emptied. */
  verdict: Verdict | "idle";
  /** Set when the run stopped on a failure: when to try again. */
  retryInMs?: number;
}

export class Uploader {
  #attempt = 0;
  #running: Promise<UploadReport> | undefined;

  constructor(private readonly options: UploaderOptions) {}

  /** Failed runs in a row (0 when the last one got through). */
  get failures(): number {
    return this.#attempt;
  }

  /** Uploads until the spool is empty or a POST fails; concurrent calls share one run. */
  uploadNow(): Promise<UploadReport> {
    this.#running ??= this.#drain().finally(() => this.#running = undefined);
    return this.#running;
  }

  async #drain(): Promise<UploadReport> {
    const { spool, poster, format, counters, log } = this.options;
    let sent = 0;
    let rejected = 0;
    for (;;) {
      const segment = await spool.oldest();
      if (!segment) {
        this.#attempt = 0;
        return { sent, rejected, left: spool.records, verdict: "idle" };
      }
      const result = await poster.send(() =>
        uploadBody((write) => spool.readRecords(segment, write), format)
      );
      if (result.verdict === "sent") {
        this.#attempt = 0;
        const records = await spool.ack(segment);
        sent += records;
        counters.inc("stats-sent", records);
      } else if (result.verdict === "reject") {
        const records = await spool.setAside(segment);
        rejected += records;
        counters.inc("stats-rejected", records);
        log.warn("stats refused by the API: segment set aside in rejected/", {
          status: result.status,
          records,
        });
      } else {
        this.#attempt++;
        const retryInMs = result.retryAfterMs ??
          backoffDelay(this.#attempt, this.options.backoff, this.options.random ?? Math.random);
        return { sent, rejected, left: spool.records, verdict: result.verdict, retryInMs };
      }
    }
  }
}
