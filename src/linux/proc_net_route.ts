import { type Parsed, toInt, wholeLines } from "./text.ts";

const RTF_UP = 0x1;

/** A little-endian hex IPv4 address as the kernel prints it in /proc/net/route. */
function hexToIpv4(hex: string): string | undefined {
  if (!/^[0-9A-Fa-f]{8}$/.test(hex)) return undefined;
  const n = parseInt(hex, 16);
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24].join(".");
}

/** The default route of /proc/net/route, if one is up. */
export interface DefaultRoute {
  /** The interface it goes through. */
  wan_name?: string;
  /** Its gateway, dotted quad. */
  wan_gateway?: string;
}

/**
 * /proc/net/route → the default route with the lowest metric: its interface and gateway.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * const header = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n";
 * deepEqual(
 *   parseProcNetRoute(header + "eth0\t00000000\t0102A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"),
 *   { value: { wan_name: "eth0", wan_gateway: "192.168.2.1" }, skipped: 0 },
 * );
 * ```
 */
export function parseProcNetRoute(text: string): Parsed<DefaultRoute> {
  const { value: complete, skipped: torn } = wholeLines(text);
  let skipped = torn;
  let best: { name: string; gateway: string; metric: number } | undefined;
  for (const line of complete) {
    const fields = line.trim().split(/\s+/);
    if (fields[0] === "Iface") continue;
    const [name, destination, gatewayHex, flagsHex, , , metricText, mask] = fields;
    const gateway = hexToIpv4(gatewayHex ?? "");
    const flags = /^[0-9A-Fa-f]{1,4}$/.test(flagsHex ?? "") ? parseInt(flagsHex, 16) : undefined;
    const metric = toInt(metricText);
    if (fields.length < 8 || !gateway || flags === undefined || metric === undefined) {
      skipped++;
      continue;
    }
    const isDefault = destination === "00000000" && mask === "00000000" && (flags & RTF_UP) !== 0;
    if (isDefault && (!best || metric < best.metric)) best = { name, gateway, metric };
  }
  if (!best) return { value: {}, skipped };
  return {
    value: {
      wan_name: best.name,
      // 0.0.0.0: a default route straight out of an interface (PPP), without a gateway.
      ...(best.gateway !== "0.0.0.0" ? { wan_gateway: best.gateway } : {}),
    },
    skipped,
  };
}
