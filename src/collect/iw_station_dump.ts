import { defined, type Parsed, toCount, toUpperMac } from "../linux/mod.ts";
import { colonFields, iwBlocks, leadingNumber, mcsOf, rateKbits, rateMbits } from "./_iw_text.ts";
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
 *   [{ interface: "wlan0", mac: "AA:BB:CC:DD:EE:FF", beacon_rx: 0, beacon_loss: 0, signal: -50 }],
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
    const preamble = f.get("preamble");
    // SocketMan's keys in its order (collector.c:127-234).
    return defined<Station>({
      interface: device,
      mac: toUpperMac(mac)!,
      inactive_time: firstCount(f.get("inactive time")),
      rx_packets: toCount(f.get("rx packets")),
      tx_packets: toCount(f.get("tx packets")),
      rx_bytes: toCount(f.get("rx bytes")),
      tx_bytes: toCount(f.get("tx bytes")),
      // SocketMan always sent the beacon counters, 0 where the driver keeps none (an AP's).
      beacon_rx: toCount(f.get("beacon rx")) ?? 0,
      tx_retries: toCount(f.get("tx retries")),
      tx_failed: toCount(f.get("tx failed")),
      beacon_loss: toCount(f.get("beacon loss")) ?? 0,
      signal: leadingNumber(f.get("signal")),
      signal_avg: leadingNumber(f.get("signal avg")),
      beacon_signal_avg: leadingNumber(f.get("beacon signal avg")),
      t_offset: leadingNumber(f.get("toffset")),
      tx_bitrate: rateMbits(f.get("tx bitrate")),
      rx_bitrate: rateMbits(f.get("rx bitrate")),
      authorized: yesNo(f.get("authorized")),
      authenticated: yesNo(f.get("authenticated")),
      associated: yesNo(f.get("associated")),
      wmm: yesNo(f.get("wmm/wme")),
      mfp: yesNo(f.get("mfp")),
      tdls: yesNo(f.get("tdls peer")),
      preamble: preamble === "short" ? 1 : preamble === "long" ? 0 : undefined,
      conn_time: firstCount(f.get("connected time")),
      expected_tput: rateKbits(f.get("expected throughput")),
      mcs: mcsOf(f.get("tx bitrate")),
    });
  });
  return { value: stations, skipped };
}
