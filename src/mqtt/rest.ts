/**
 * REST mode (`rest: 1`): job results POSTed to `api_url`, `backup_url` when that fails.
 * Only the status of an answer matters; its body is discarded, never interpreted (SocketMan
 * ran a `cmd` found in HTTP answers).
 */
import type { JobReply, ReplyKind } from "../jobs/reply.ts";
import { toRestResult } from "../jobs/replies.ts";
import type { Net } from "../io/mod.ts";
import type { ReplyTransport } from "./reply_channel.ts";

export const REST_TIMEOUT_MS = 10_000;

/** `url` with `?access_token=<token>` appended (SocketMan's API authentication). */
export function withToken(url: string, token: string | undefined): string {
  if (!token) return url;
  const u = new URL(url);
  u.searchParams.set("access_token", token);
  return u.toString();
}

export interface RestTarget {
  urls: string[];
  token: string | undefined;
  timeoutMs?: number;
}

/** POSTs `body` to the first URL that answers 2xx; rejects with every URL's failure. */
export async function postJson(net: Net, target: RestTarget, body: unknown): Promise<void> {
  const failures: string[] = [];
  for (const url of target.urls) {
    try {
      const response = await net.fetch(withToken(url, target.token), {
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
    deliver: (_kind: ReplyKind, reply: JobReply) => postJson(net, target, toRestResult(reply)),
  };
}
