/**
 * What an upload answer means and when to try again: pure decisions, tested on fixtures.
 * Nothing from an answer is used but its status and its Retry-After header.
 */

/**
 * - `sent`: 2xx, the data may be deleted.
 * - `retry`: keep the data, back off (network, 5xx, 408, 429, redirects, anything odd).
 * - `token`: 401, keep the data; the operator must fix the token (or provisioning will).
 * - `reject`: another 4xx: this data will never be accepted; set it aside.
 */
export type Verdict = "sent" | "retry" | "token" | "reject";

export function classifyStatus(status: number): Verdict {
  if (status >= 200 && status < 300) return "sent";
  if (status === 401) return "token";
  if (status === 408 || status === 429) return "retry";
  if (status >= 400 && status < 500) return "reject";
  return "retry";
}

/** The longest Retry-After honoured; a server asking for more is asked again after this. */
export const MAX_RETRY_AFTER_MS = 3600_000;

/**
 * Milliseconds to wait from `Retry-After` (delta-seconds or an HTTP date), or undefined
 * when absent or malformed. A date in the past means now.
 *
 * @example
 * parseRetryAfter("2", Date.now()); // 2000
 */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  let ms: number;
  if (/^\d+$/.test(text)) ms = Number(text) * 1000;
  else if (/^[A-Za-z]{3}, /.test(text)) {
    const at = Date.parse(text);
    if (Number.isNaN(at)) return undefined;
    ms = Math.max(0, at - nowMs);
  } else return undefined;
  return Math.min(ms, MAX_RETRY_AFTER_MS);
}
