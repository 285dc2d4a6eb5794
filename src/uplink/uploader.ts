/**
 * Drains the spool to the stats API: the oldest segments first, a few per POST, deleted
 * only on a 2xx, set aside on a definitive refusal, kept on anything else while the loop
 * backs off (full jitter, or the server's Retry-After).
 */
import type { Clock } from "../io/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { Counters } from "../counters.ts";
import type { Spool } from "../spool/mod.ts";
import { uploadBody, type UploadFormat } from "./body.ts";
import { type Backoff, fullJitterDelay } from "../backoff.ts";
import type { Verdict } from "./policy.ts";
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
  /** Raw NDJSON bytes per POST (whole segments; at least one). Default 1 MiB. */
  postBytes?: number;
}

/**
 * Four segments a POST: each POST costs a CompressionStream and a request, whose memory
 * is only reclaimed by a GC; fewer of them kept RSS growth down on a 100 MB backlog.
 */
const POST_BYTES = 1024 * 1024;

/** What one upload run did. */
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

/** Drains the spool: its oldest segments, gzipped, in bodies up to 1 MiB, acked after a 2xx. */
export class Uploader {
  #attempt = 0;
  #running: Promise<UploadReport> | undefined;

  /** Nothing runs before `uploadNow()`. */
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
    // After a refusal of several segments, they go one by one to find the bad one.
    let oneByOne = false;
    for (;;) {
      const segments = await spool.oldest(oneByOne ? 0 : this.options.postBytes ?? POST_BYTES);
      if (segments.length === 0) {
        this.#attempt = 0;
        return { sent, rejected, left: spool.records, verdict: "idle" };
      }
      const result = await poster.send(() =>
        uploadBody(async (write) => {
          for (const segment of segments) await spool.readRecords(segment, write);
        }, format)
      );
      if (result.verdict === "sent") {
        this.#attempt = 0;
        oneByOne = false;
        for (const segment of segments) {
          const records = await spool.ack(segment);
          sent += records;
          counters.inc("stats-sent", records);
        }
      } else if (result.verdict === "reject" && segments.length > 1) {
        oneByOne = true;
      } else if (result.verdict === "reject") {
        oneByOne = false;
        const records = await spool.setAside(segments[0]);
        rejected += records;
        counters.inc("stats-rejected", records);
        log.warn("stats refused by the API: segment set aside in rejected/", {
          status: result.status,
          records,
        });
      } else {
        const attempt = this.#attempt++;
        const retryInMs = result.retryAfterMs ??
          fullJitterDelay(attempt, this.options.backoff, this.options.random ?? Math.random);
        return { sent, rejected, left: spool.records, verdict: result.verdict, retryInMs };
      }
    }
  }
}
