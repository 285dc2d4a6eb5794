/**
 * REST mode (`rest: 1`): job results sent to `api_url`, `backup_url` when that fails. By
 * default as SocketMan's code sent them (notify.c): `PATCH <api_url>/operations/<id>` with
 * `{success, msg}`, ours added; `rest_format: "post"` keeps ledge's earlier `POST <api_url>`.
 * Only the status of an answer matters; its body is discarded, never interpreted (SocketMan
 * ran a `cmd` found in HTTP answers).
 */
import type { Config } from "../config/mod.ts";
import { apiUrl, type Net } from "../io/mod.ts";
import { type JobReply, type ReplyKind, toRestResult } from "./wire.ts";
import type { ReplyTransport } from "./channel.ts";

export const REST_TIMEOUT_MS = 10_000;

/** Where REST replies go, and in which form. */
export interface RestTarget {
  /** `api_url`, then `backup_url`. */
  urls: string[];
  /** Sent as `access_token`. */
  token: string | undefined;
  /** SocketMan's PATCH of `operations/<id>`, or ledge's earlier POST. */
  format: Config["rest_format"];
  /** Per request; 10 s by default. */
  timeoutMs?: number;
}

/** REST mode's target (`api_url`, then `backup_url`), or undefined without `rest`. */
export function restTarget(config: Config): RestTarget | undefined {
  if (!config.rest || !config.api_url) return undefined;
  const urls = [config.api_url, config.backup_url].filter((u): u is string => !!u);
  return { urls, token: config.token, format: config.rest_format };
}

/** One request for a reply: method, URL (before the token) and body. */
export function restRequest(
  base: string,
  format: Config["rest_format"],
  reply: JobReply,
): { method: "PATCH" | "POST"; url: string; contentType: string; body: string } {
  const result = toRestResult(reply);
  if (format === "post") {
    return {
      method: "POST",
      url: base,
      contentType: "application/json",
      body: JSON.stringify(result),
    };
  }
  const { success, output, exit_code, event_type } = result;
  // SocketMan's body is JSON under a form content type (notify.c:12-16): a back end built
  // on it reads it so, and a framework that parsed SocketMan's request parses this one.
  return {
    method: "PATCH",
    url: `${base.replace(/\/+$/, "")}/operations/${encodeURIComponent(reply.id)}`,
    contentType: "application/x-www-form-urlencoded",
    body: JSON.stringify({ success, msg: output, output, exit_code, event_type }),
  };
}

/** Sends the reply to the first URL that answers 2xx; rejects with every URL's failure. */
export async function sendRest(net: Net, target: RestTarget, reply: JobReply): Promise<void> {
  const failures: string[] = [];
  for (const base of target.urls) {
    const request = restRequest(base, target.format, reply);
    try {
      const response = await net.fetch(apiUrl(request.url, { token: target.token }), {
        method: request.method,
        headers: { "content-type": request.contentType },
        body: request.body,
        signal: AbortSignal.timeout(target.timeoutMs ?? REST_TIMEOUT_MS),
      });
      await response.body?.cancel();
      if (response.ok) return;
      failures.push(`HTTP ${response.status}`);
    } catch (error) {
      failures.push(error instanceof Error ? error.message : String(error));
    }
  }
  throw new Error(
    `${target.format === "post" ? "POST" : "PATCH"} failed: ${failures.join("; ") || "no URL"}`,
  );
}

/** Results and refusals sent to the API (REST mode has no form for `DELIVERED`). */
export function restTransport(net: Net, target: RestTarget): ReplyTransport {
  return {
    ready: () => true,
    // A request is in flight once `deliver` returns: nothing waits in this process.
    deliver: (_kind: ReplyKind, reply: JobReply) => ({
      acked: sendRest(net, target, reply),
      written: undefined,
    }),
  };
}
