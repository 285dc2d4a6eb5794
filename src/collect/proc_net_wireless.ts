import {
  defined,
  isInterfaceName,
  type Parsed,
  procTableRows,
  toCount,
  toNumber,
} from "../linux/mod.ts";
import type { Ssid } from "./sample.ts";

// The kernel prints -256 dBm (or a level of 0 on some drivers) when it does not know.
const UNKNOWN_DBM = -256;

/**
 * /proc/net/wireless (wireless extensions): link quality, signal and noise per interface;
 * the last resort when neither ubus nor iw is there.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * const header = "Inter-| sta-|   Quality        |   Discarded packets               | Missed | WE\n" +
 *   " face | tus | link level noise |  nwid  crypt   frag  retry   misc | beacon | 22\n";
 * deepEqual(
 *   parseProcNetWireless(header + " wlan0: 0000   70.  -40.  -95.  0 0 0 0 0  0\n").value,
 *   [{ interface: "wlan0", quality: 70, signal: -40, noise: -95 }],
 * );
 * ```
 */
export function parseProcNetWireless(text: string): Parsed<Ssid[]> {
  const ssids: Ssid[] = [];
  const { value: rows, skipped: torn } = procTableRows(text);
  let skipped = torn;
  for (const line of rows) {
    const match = /^\s*([^\s:]+):\s+([0-9a-f]{4})\s+(\S+)\s+(\S+)\s+(\S+)(\s+\d+){6}\s*$/i.exec(
      line,
    );
    const [quality, signal, noise] = (match?.slice(3, 6) ?? []).map((v) =>
      toNumber(v.replace(/\.$/, ""))
    );
    if (!match || !isInterfaceName(match[1]) || [quality, signal, noise].includes(undefined)) {
      skipped++;
      continue;
    }
    const dbm = (value: number) => (value > UNKNOWN_DBM && value < 0 ? value : undefined);
    ssids.push(defined<Ssid>({
      interface: match[1],
      quality: toCount(String(quality)),
      signal: dbm(signal!),
      noise: dbm(noise!),
    }));
  }
  return { value: ssids, skipped };
}
