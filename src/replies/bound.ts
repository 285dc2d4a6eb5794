/**
 * A reply no larger than a byte limit, as it goes on the wire (its JSON, escapes included:
 * 50 KiB of control characters encode to some 300 KB). What a broker refuses is not sent
 * again and again: the reply is cut to fit, and says so. Pure.
 */
import type { JobReply } from "./wire.ts";

const encoder = new TextEncoder();
const sizeOf = (reply: JobReply) => encoder.encode(JSON.stringify(reply)).length;
/** Below this a reply carries no output: only what it is and why it was cut. */
export const MIN_REPLY_BYTES = 512;
export const REPLY_TOO_LARGE = "reply too large for the broker: its output was cut";

/**
 * `reply` as it is when its JSON fits `maxBytes`; else with `meta.msg` and `stderr` cut
 * from their ends until it does (`truncated: true`, `cut_to` the limit); when even that
 * cannot fit, its id, type and times with `meta.msg` saying it was too large.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const reply = { id: "j", event_type: "PROCESSED", meta: { msg: "x".repeat(5000) } };
 * const cut = boundReply(reply, 2048);
 * assert.ok(JSON.stringify(cut).length <= 2048);
 * assert.equal(cut.truncated, true);
 * ```
 */
export function boundReply(reply: JobReply, maxBytes: number): JobReply {
  // Every reply passes here: a UTF-16 unit is at most 3 UTF-8 bytes, so most need no encoding.
  const json = JSON.stringify(reply);
  if (json.length * 3 <= maxBytes || encoder.encode(json).length <= maxBytes) return reply;
  const meta = (reply.meta ?? {}) as Record<string, unknown>;
  const msg = typeof meta.msg === "string" ? meta.msg : "";
  const stderr = typeof reply.stderr === "string" ? reply.stderr : "";
  const withParts = (m: string, e: string): JobReply => ({
    ...reply,
    meta: { ...meta, msg: m },
    ...(stderr ? { stderr: e } : {}),
    truncated: true,
    cut_to: maxBytes,
  });
  // The longest head of msg (and of stderr's tail) that fits: a binary search on the length.
  let [low, high] = [0, msg.length + stderr.length];
  while (low < high) {
    const keep = Math.ceil((low + high) / 2);
    const m = msg.slice(0, Math.min(keep, msg.length));
    const e = stderr.slice(stderr.length - Math.max(0, keep - msg.length));
    if (sizeOf(withParts(m, e)) <= maxBytes) low = keep;
    else high = keep - 1;
  }
  const fitted = withParts(
    msg.slice(0, Math.min(low, msg.length)),
    stderr.slice(stderr.length - Math.max(0, low - msg.length)),
  );
  if (sizeOf(fitted) <= maxBytes) return fitted;
  const bare: JobReply = {
    id: reply.id,
    app: reply.app,
    timestamp: reply.timestamp,
    event_type: reply.event_type,
    meta: { msg: REPLY_TOO_LARGE, ...(meta.type === undefined ? {} : { type: meta.type }) },
    truncated: true,
    cut_to: maxBytes,
  };
  return bare;
}
