import { defined, type Parsed, toCount, wholeLines } from "../linux/mod.ts";

/** Every `Key: VALUE [kB]` line of /proc/meminfo, in bytes. */
export function parseMeminfoFields(text: string): Parsed<Map<string, number>> {
  const fields = new Map<string, number>();
  const { value: complete, skipped: torn } = wholeLines(text);
  let skipped = torn;
  for (const line of complete) {
    const match = /^([\w()]+):\s*(\d+)(?:\s+(kB))?\s*$/.exec(line);
    const value = toCount(match?.[2]);
    if (!match || value === undefined) {
      skipped++;
      continue;
    }
    fields.set(match[1], match[3] ? value * 1024 : value);
  }
  return { value: fields, skipped };
}

/**
 * /proc/meminfo → total and free RAM in bytes (sysinfo's totalram/freeram, as SocketMan sent).
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(
 *   parseProcMeminfo("MemTotal: 255232 kB\nMemFree: 97656 kB\n").value,
 *   { total_ram: 261357568, free_ram: 99999744 },
 * );
 * ```
 */
export function parseProcMeminfo(
  text: string,
): Parsed<{ total_ram?: number; free_ram?: number }> {
  const { value: fields, skipped } = parseMeminfoFields(text);
  return {
    value: defined({ total_ram: fields.get("MemTotal"), free_ram: fields.get("MemFree") }),
    skipped,
  };
}
