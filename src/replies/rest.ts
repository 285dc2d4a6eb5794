/**
 * REST mode (`rest: 1`): job results POSTed to `api_url`, `backup_url` when that fails.
 * Only the status of an answer matters; its body is discarded, never interpreted (SocketMan
 * ran a `cmd` found in HTTP answers).
 */
import type { Config } from "../config/mod.ts";
import { apiUrl, type Net } from "../io/mod.ts";
import { type JobReply, type ReplyKind, toRestResult } from "./wire.ts";
import type { ReplyTransport } from "./channel.ts";

export const REST_TIMEOUT_MS = 10_000;

/** Where REST replies go. */
export interface RestTarget {
  /** `api_url`, then `backup_url`. */
  urls: string[];
  /** Sent as `access_token`. */
  token: string | undefined;
  /** Per request; 10 s by default. */
  timeoutMs?: number;
}

/** REST mode's target (`api_url`, then `backup_url`), or undefined without `rest`. */
export function restTarget(config: Config): RestTarget | undefined {
  if (!config.rest || !config.api_url) return undefined;
  const urls = [config.api_url, config.backup_url].filter((u): u is string => !!u);
  return { urls, token: config.token };
}

/** POSTs `body` to the first URL that answers 2xx; rejects with every URL's failure. */
export async function postJson(net: Net, target: RestTarget, body: unknown): Promise<void> {
  const failures: string[] = [];
  for (const url of target.urls) {
    try {
      const response = await net.fetch(apiUrl(url, { token: target.token }), {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(target.timeoutMs ?? REST_TIMEOUT_MS),
      });
      await response.body?.cancel();
      if (response.ok) return;
      failures.push(`HTTP ${response.status}`);
    } catch (error) {
      failures.push(error instanceof Error ? error.message : String(error));
    }
  }
  throw new Error(`POST failed: ${failures.join("; ") || "no URL"}`);
}

/** Results and refusals POSTed to the API (REST mode has no form for `DELIVERED`). */
export function restTransport(net: Net, target: RestTarget): ReplyTransport {
  return {
    ready: () => true,
    // A POST is in flight once `deliver` returns: nothing waits in this process.
    deliver: (_kind: ReplyKind, reply: JobReply) => ({
      acked: postJson(net, target, toRestResult(reply)),
      written: undefined,
    }),
  };
}
