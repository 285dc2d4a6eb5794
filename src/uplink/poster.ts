/**
 * One stats POST as SocketMan's back ends expect it: the primary URL, then the backup once
 * when that failed; every request under a timeout; every answer classified by status only
 * (its body is discarded unread). Failures are logged once per episode, not per retry.
 */
import type { Clock, Net } from "../io/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { Counters } from "../counters.ts";
import { classifyStatus, parseRetryAfter, type Verdict } from "./policy.ts";

/** One request's body and headers. */
export interface PostBody {
  /** The request's headers. */
  headers: Record<string, string>;
  /** The request's body. */
  body: BodyInit;
}

/** How a POST ended. */
export interface PostResult {
  /** `sent`, `retry`, `token` (the token was refused) or `reject`. */
  verdict: Verdict;
  /** The HTTP status, when there was an answer. */
  status?: number;
  /** The delay `Retry-After` asked for. */
  retryAfterMs?: number;
  /** Why the request failed without an answer (network, timeout). */
  error?: string;
}

export interface StatsPosterOptions {
  /** Primary first; the backup (if any) second. Already carrying the token and mac. */
  urls: URL[];
  fetch: Net["fetch"];
  clock: Clock;
  log: Logger;
  counters: Counters;
  timeoutMs: number;
  /** Aborts requests in flight when the capability stops. */
  signal: AbortSignal;
  /** Told at each 401: the token was refused (the data is kept either way). */
  tokenRefused?: () => void;
}

/** POSTs stats to `stats_url`, then `backup_stats_url`, logging failures once until they end. */
export class StatsPoster {
  #failing = false;
  #tokenRefused = false;

  /** Nothing is sent before `send()`. */
  constructor(private readonly options: StatsPosterOptions) {}

  /** POSTs a body built fresh for each URL tried (a stream can be read only once). */
  async send(makeBody: () => PostBody | Promise<PostBody>): Promise<PostResult> {
    let result: PostResult = { verdict: "retry" };
    for (const url of this.options.urls) {
      result = await this.#postOnce(url, makeBody);
      if (result.verdict === "sent") break;
      this.#noteFailure(url, result);
    }
    if (result.verdict === "sent" || result.verdict === "reject") {
      if (this.#failing || this.#tokenRefused) this.options.log.info("uploads work again");
      this.#failing = this.#tokenRefused = false;
    }
    return result;
  }

  async #postOnce(
    url: URL,
    makeBody: () => PostBody | Promise<PostBody>,
  ): Promise<PostResult> {
    const { fetch, counters, timeoutMs, signal, clock } = this.options;
    let body: BodyInit | undefined;
    try {
      const built = await makeBody();
      body = built.body;
      const headers = built.headers;
      const response = await fetch(url, {
        method: "POST",
        headers,
        body,
        // A redirect would carry the token elsewhere: it counts as a failure instead.
        redirect: "manual",
        signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), signal]),
      });
      await response.body?.cancel().catch(() => {});
      const verdict = classifyStatus(response.status);
      counters.inc(verdict === "sent" ? "uploads-ok" : "uploads-failed");
      const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"), clock.now());
      return { verdict, status: response.status, retryAfterMs };
    } catch (error) {
      if (body instanceof ReadableStream) await body.cancel().catch(() => {});
      counters.inc("uploads-failed");
      return { verdict: "retry", error: error instanceof Error ? error.message : String(error) };
    }
  }

  #noteFailure(url: URL, { verdict, status, error }: PostResult): void {
    const { log } = this.options;
    if (verdict === "token") {
      if (!this.#tokenRefused) log.error("token rejected by the stats API (401): data kept");
      this.#tokenRefused = true;
      this.options.tokenRefused?.();
    } else if (verdict === "retry" && !this.#failing) {
      log.warn("upload failed: data kept, backing off", { host: url.host, status, error });
      this.#failing = true;
    }
  }
}
