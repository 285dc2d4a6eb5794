import { lines, type Parsed, toNumber } from "../linux/mod.ts";

/**
 * /proc/uptime: `SECONDS IDLE_SECONDS`; the uptime in whole seconds.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(parseProcUptime("12345.67 54321.00\n"), { value: { uptime: 12345 }, skipped: 0 });
 * ```
 */
export function parseProcUptime(text: string): Parsed<{ uptime?: number }> {
  const [first] = lines(text);
  if (first === undefined) return { value: {}, skipped: 0 };
  const seconds = toNumber(first.trim().split(/\s+/)[0]);
  return seconds === undefined || seconds < 0
    ? { value: {}, skipped: 1 }
    : { value: { uptime: Math.floor(seconds) }, skipped: 0 };
}
