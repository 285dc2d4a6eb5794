import { isInterfaceName, type Parsed, procTableRows, toCount } from "../linux/mod.ts";
import type { NetInterface } from "./sample.ts";

// Column positions of the 16 counters after `NAME:`.
const COLUMNS = {
  rx_bytes: 0,
  rx_packets: 1,
  rx_errors: 2,
  rx_dropped: 3,
  tx_bytes: 8,
  tx_packets: 9,
  tx_errors: 10,
  tx_dropped: 11,
} as const;

/**
 * /proc/net/dev → one interface per line with its counters (the fallback when /sys is not
 * readable). Old kernels print `eth0:123` without a space; both parse.
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * const text = "Inter-|   Receive\n face |bytes    packets\n" +
 *   "eth0:100 2 0 0 0 0 0 0 200 3 0 0 0 0 0 0\n";
 * const [eth0] = parseProcNetDev(text).value;
 * equal(eth0.name, "eth0");
 * equal(eth0.rx_bytes, 100);
 * equal(eth0.tx_packets, 3);
 * ```
 */
export function parseProcNetDev(text: string): Parsed<NetInterface[]> {
  const interfaces: NetInterface[] = [];
  const { value: rows, skipped: torn } = procTableRows(text);
  let skipped = torn;
  for (const line of rows) {
    const colon = line.indexOf(":");
    const name = line.slice(0, colon).trim();
    const numbers = line.slice(colon + 1).trim().split(/\s+/).map(toCount);
    if (
      colon < 0 || !isInterfaceName(name) || numbers.length !== 16 || numbers.includes(undefined)
    ) {
      skipped++;
      continue;
    }
    const entry: NetInterface = { name };
    for (const [key, column] of Object.entries(COLUMNS)) {
      entry[key as keyof typeof COLUMNS] = numbers[column];
    }
    interfaces.push(entry);
  }
  return { value: interfaces, skipped };
}
