import { defined, type Parsed, toCount, toMac } from "../linux/mod.ts";
import type { InterfaceCounters, NetInterface } from "./sample.ts";

const IFF_UP = 0x1;
// Not only Ethernet: InfiniBand and others have longer hardware addresses.
const HW_ADDRESS = /^[0-9a-f]{2}(:[0-9a-f]{2}){1,31}$/i;

/** The files read under /sys/class/net/NAME/, relative to it. */
export const SYS_NET_FILES = [
  "ifindex",
  "address",
  "operstate",
  "flags",
  "mtu",
  ...[
    "rx_bytes",
    "tx_bytes",
    "rx_packets",
    "tx_packets",
    "rx_errors",
    "tx_errors",
    "rx_dropped",
    "tx_dropped",
  ].map((counter) => `statistics/${counter}`),
] as const;

export type SysNetFiles = Partial<Record<typeof SYS_NET_FILES[number], string>>;

/**
 * One interface from the contents of its /sys/class/net/NAME/ files (absent = unreadable).
 * `up` is the administrative IFF_UP flag when `flags` is readable (loopback's operstate is
 * "unknown"), else operstate.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(
 *   parseSysNetInterface("eth0", { ifindex: "2\n", mtu: "1500\n", operstate: "up\n" }).value,
 *   { ifindex: 2, name: "eth0", up: true, mtu: 1500 },
 * );
 * ```
 */
export function parseSysNetInterface(name: string, files: SysNetFiles): Parsed<NetInterface> {
  let skipped = 0;
  const read = <T>(key: keyof SysNetFiles, convert: (text: string) => T | undefined) => {
    const text = files[key];
    if (text === undefined || text.trim() === "") return undefined; // tun has no address
    const value = convert(text.trim());
    if (value === undefined) skipped++;
    return value;
  };
  const flags = read("flags", (t) => (/^0x[0-9a-f]+$/i.test(t) ? parseInt(t, 16) : undefined));
  const operstate = read("operstate", (t) => (/^[a-z]+$/.test(t) ? t : undefined));
  const counters: InterfaceCounters = {};
  for (const key of SYS_NET_FILES) {
    if (key.startsWith("statistics/")) {
      counters[key.slice("statistics/".length) as keyof InterfaceCounters] = read(key, toCount);
    }
  }
  const value = defined<NetInterface>({
    ifindex: read("ifindex", toCount),
    name,
    mac: read("address", (t) => toMac(t) ?? (HW_ADDRESS.test(t) ? t.toLowerCase() : undefined)),
    up: flags !== undefined
      ? (flags & IFF_UP) !== 0
      : operstate === undefined
      ? undefined
      : operstate === "up",
    mtu: read("mtu", toCount),
    ...counters,
  });
  return { value, skipped };
}
