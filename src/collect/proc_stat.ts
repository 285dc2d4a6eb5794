import { defined, type Parsed, toCount, wholeLines } from "../linux/mod.ts";

/**
 * /proc/stat → processes running and blocked right now (`procs_running`, `procs_blocked`).
 * Other lines (cpu, intr, ...) are recognised by shape and ignored.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(
 *   parseProcStat("procs_running 2\nprocs_blocked 0\n").value,
 *   { procs_running: 2, procs_blocked: 0 },
 * );
 * ```
 */
export function parseProcStat(
  text: string,
): Parsed<{ procs_running?: number; procs_blocked?: number }> {
  const { value: complete, skipped: torn } = wholeLines(text);
  let skipped = torn;
  const wanted = new Map<string, number | undefined>();
  for (const line of complete) {
    const [key, ...values] = line.trim().split(/\s+/);
    if (!/^[a-z][a-z0-9_]*$/.test(key) || values.length === 0) {
      skipped++;
      continue;
    }
    if (key !== "procs_running" && key !== "procs_blocked") continue;
    const value = values.length === 1 ? toCount(values[0]) : undefined;
    if (value === undefined) skipped++;
    else wanted.set(key, value);
  }
  return {
    value: defined({
      procs_running: wanted.get("procs_running"),
      procs_blocked: wanted.get("procs_blocked"),
    }),
    skipped,
  };
}
