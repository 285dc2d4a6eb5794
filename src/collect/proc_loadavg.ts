import { defined, lines, type Parsed, toCount, toNumber } from "../linux/mod.ts";

export interface LoadAverage {
  load_1?: number;
  load_5?: number;
  load_15?: number;
  /** Scheduling entities (processes and threads): what sysinfo(2) reports as `procs`. */
  procs?: number;
}

/**
 * /proc/loadavg: `0.10 0.20 0.30 RUNNING/TOTAL LAST_PID`.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(
 *   parseProcLoadavg("0.10 0.20 0.30 1/87 4242\n").value,
 *   { load_1: 0.1, load_5: 0.2, load_15: 0.3, procs: 87 },
 * );
 * ```
 */
export function parseProcLoadavg(text: string): Parsed<LoadAverage> {
  const [first] = lines(text);
  if (first === undefined) return { value: {}, skipped: 0 };
  const fields = first.trim().split(/\s+/);
  const loads = fields.slice(0, 3).map(toNumber);
  if (fields.length < 3 || loads.some((l) => l === undefined || l < 0)) {
    return { value: {}, skipped: 1 };
  }
  const procs = toCount(fields[3]?.split("/")[1]);
  return {
    value: defined({ load_1: loads[0], load_5: loads[1], load_15: loads[2], procs }),
    skipped: 0,
  };
}
