import { defined, type Parsed, toCount, toLabel, toUpperMac } from "../linux/mod.ts";
import { iwBlocks, leadingNumber } from "./_iw_text.ts";
import type { Ssid } from "./sample.ts";

/** What `iw dev` tells about one interface; `type` tells an AP from a client or monitor. */
export interface IwInterface extends Ssid {
  type?: string;
  ifindex?: number;
}

/**
 * `iw dev` → the wireless interfaces with their SSID, channel and transmit power.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(
 *   parseIwDev("phy#0\n\tInterface wlan0\n\t\tssid Home\n\t\ttype AP\n").value,
 *   [{ interface: "wlan0", ssid: "Home", type: "AP" }],
 * );
 * ```
 */
export function parseIwDev(text: string): Parsed<IwInterface[]> {
  // P2P devices have no netdev: "Unnamed/non-netdev interface" blocks are read and dropped.
  const { value: blocks, skipped } = iwBlocks(
    text,
    /^(?:Interface (\S{1,15})|Unnamed\/non-netdev interface)$/,
    /^phy#\d+$/,
  );
  const interfaces: IwInterface[] = [];
  for (const block of blocks) {
    const [name] = block.header;
    if (!name) continue;
    const fields = new Map<string, string>();
    for (const line of block.lines) {
      const [, key, value] = /^\s*(\S+)\s+(.*)$/.exec(line) ?? [];
      if (key && !fields.has(key)) fields.set(key, value);
    }
    const channel = /^(\d+) \((\d+) MHz\)/.exec(fields.get("channel") ?? "");
    interfaces.push(defined<IwInterface>({
      interface: name,
      ifindex: toCount(fields.get("ifindex")),
      bssid: toUpperMac(fields.get("addr")),
      ssid: toLabel(fields.get("ssid")),
      type: toLabel(fields.get("type")),
      channel: toCount(channel?.[1]),
      frequency: toCount(channel?.[2]),
      tx_power: leadingNumber(fields.get("txpower")),
    }));
  }
  return { value: interfaces, skipped };
}
