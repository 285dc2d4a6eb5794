import { defined, type Parsed, toCount } from "../linux/mod.ts";
import { colonFields, iwBlocks, leadingNumber, rateKbits } from "./_iw_text.ts";
import type { Station } from "./sample.ts";

const yesNo = (value: string | undefined) =>
  value === "yes" ? true : value === "no" ? false : undefined;
const firstCount = (value: string | undefined) => toCount(value?.split(/\s+/)[0]);

/**
 * `iw dev IF station dump` → the associated stations.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(
 *   parseIwStationDump("Station aa:bb:cc:dd:ee:ff (on wlan0)\n\tsignal: -50 dBm\n").value,
 *   [{ interface: "wlan0", mac: "aa:bb:cc:dd:ee:ff", signal: -50 }],
 * );
 * ```
 */
export function parseIwStationDump(text: string): Parsed<Station[]> {
  const { value: blocks, skipped } = iwBlocks(
    text,
    /^Station ([0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5}) \(on (\S{1,15})\)$/,
  );
  const stations = blocks.map(({ header: [mac, device], lines }) => {
    const f = colonFields({ header: [], lines });
    return defined<Station>({
      interface: device,
      mac: mac.toLowerCase(),
      inactive_time: firstCount(f.get("inactive time")),
      rx_packets: toCount(f.get("rx packets")),
      tx_packets: toCount(f.get("tx packets")),
      rx_bytes: toCount(f.get("rx bytes")),
      tx_bytes: toCount(f.get("tx bytes")),
      tx_retries: toCount(f.get("tx retries")),
      tx_failed: toCount(f.get("tx failed")),
      signal: leadingNumber(f.get("signal")),
      signal_avg: leadingNumber(f.get("signal avg")),
      tx_bitrate: rateKbits(f.get("tx bitrate")),
      rx_bitrate: rateKbits(f.get("rx bitrate")),
      authorized: yesNo(f.get("authorized")),
      authenticated: yesNo(f.get("authenticated")),
      associated: yesNo(f.get("associated")),
      conn_time: firstCount(f.get("connected time")),
      expected_tput: rateKbits(f.get("expected throughput")),
    });
  });
  return { value: stations, skipped };
}
