/**
 * No sample may be larger than what the cache holds in one record: an oversized one (a
 * lease file of 700 000 entries) is cut down, its least essential lists first, and says so
 * in its `errors`.
 */
import type { Sample } from "./sample.ts";

/** Trimmed in this order, from the end of each list, until the sample fits. */
const TRIMMABLE = ["survey", "dhcp", "stations", "ssids", "interfaces"] as const;
/** Room kept for the notes the trimming adds to `errors`. */
const NOTE_ROOM = 1024;

const encoder = new TextEncoder();
const bytesOf = (value: unknown) => encoder.encode(JSON.stringify(value)).length;

/**
 * The sample as it is if its JSON fits `maxBytes`, else a copy with lists cut down to fit.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * const dhcp = Array.from({ length: 10_000 }, (_, i) => ({ ip: `10.0.${i >> 8}.${i & 255}`, expires: 0 }));
 * const lists = { ssids: [], stations: [], survey: [] };
 * const bounded = boundSample({ id: "x", device: {}, ...lists, dhcp }, 64 * 1024);
 * deepEqual(bounded.errors?.dhcp?.startsWith("kept "), true);
 * deepEqual(JSON.stringify(bounded).length <= 64 * 1024, true);
 * ```
 */
export function boundSample(sample: Sample, maxBytes: number): Sample {
  let size = bytesOf(sample);
  if (size <= maxBytes) return sample;
  const bounded: Sample = { ...sample };
  const notes: Record<string, string> = {};
  const target = maxBytes - NOTE_ROOM;
  for (const key of TRIMMABLE) {
    const list: unknown[] | undefined = bounded[key];
    if (size <= target) break;
    if (!list || list.length === 0) continue;
    let kept = list.length;
    // Each item costs its JSON and a comma.
    while (kept > 0 && size > target) size -= bytesOf(list[--kept]) + 1;
    (bounded as unknown as Record<string, unknown[]>)[key] = list.slice(0, kept);
    notes[key] = `kept ${kept} of ${list.length}: a sample is capped at ${maxBytes} bytes`;
  }
  bounded.errors = { ...sample.errors, ...notes };
  return bounded;
}
