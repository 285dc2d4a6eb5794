/** Builds one sample from the parts the sources returned: pure, so it is tested directly. */
import { VERSION } from "../version.ts";
import type { Device, NetInterface, Sample } from "./sample.ts";
import type { Link, Part } from "./source.ts";

// SocketMan's keys in its order (collector.c:560-635), then ledge's own.
const DEVICE_KEYS: (keyof Device)[] = [
  "firmware",
  "wan_name",
  "wan_gateway",
  "wan_ip",
  "machine_type",
  "smv",
  "mac",
  "tx_bytes",
  "rx_bytes",
  "uptime",
  "load_1",
  "load_5",
  "load_15",
  "total_ram",
  "free_ram",
  "procs",
  "v",
  "status",
  "connected",
  "created_at",
  "online",
  "procs_running",
  "procs_blocked",
  "serial",
];

/** SocketMan's `status`: 0 without a default route, 9 online, 1 in between. */
function statusOf(online: boolean | undefined, route: boolean): number {
  if (!route) return 0;
  // Without the health watch the agent assumes it is online, and says so.
  return online === false ? 1 : 9;
}

export interface SampleMeta {
  id: string;
  mac?: string;
  /** Unix seconds. */
  createdAt: number;
  online?: boolean;
  /** Sources that failed or timed out in this collection, with why. */
  errors?: Record<string, string>;
}

/** The first IPv4 address of a CIDR list, without its prefix length. */
function firstIpv4(cidrs: string[] | undefined): string | undefined {
  return cidrs?.find((c) => /^\d+\.\d+\.\d+\.\d+\//.test(c))?.split("/")[0];
}

/**
 * Merges parts into one sample (docs/stats.md). Parts that no source gave are omitted; the
 * wan's address and byte counters come from the interface the default route leaves by.
 */
export function assembleSample(meta: SampleMeta, parts: Part[]): Sample {
  const merged: Device = {};
  let interfaces: NetInterface[] | undefined;
  let links: Map<string, Link> | undefined;
  for (const part of parts) {
    Object.assign(merged, part.device);
    interfaces ??= part.interfaces;
    links ??= part.links;
  }
  // /proc/net/dev has no MAC: the OS's view fills it in when /sys was not readable.
  interfaces = interfaces?.map((i) => {
    const link = links?.get(i.name);
    if (!link) return i;
    return { ...i, mac: i.mac ?? link.mac, addresses: link.addresses };
  });
  const wan = interfaces?.find((i) => i.name === merged.wan_name);
  const wireless = parts.find((part) => part.wireless)?.wireless;
  const device: Device = {
    ...merged,
    mac: meta.mac,
    created_at: meta.createdAt,
    online: meta.online,
    // SocketMan wrote the address of a missing gateway.
    wan_gateway: merged.wan_gateway ?? "0.0.0.0",
    wan_ip: merged.wan_name ? firstIpv4(links?.get(merged.wan_name)?.addresses) : undefined,
    tx_bytes: wan?.tx_bytes,
    rx_bytes: wan?.rx_bytes,
    smv: VERSION.slice(0, 10),
    v: "4",
    status: statusOf(meta.online, merged.wan_gateway !== undefined),
    connected: wireless?.stations.length ?? 0,
  };
  // SocketMan's lists are always there, empty when there is nothing: back ends index them.
  const sample: Sample = {
    id: meta.id,
    device: Object.fromEntries(
      DEVICE_KEYS.filter((k) => device[k] !== undefined).map((k) => [k, device[k]]),
    ),
    ssids: wireless?.ssids ?? [],
    stations: wireless?.stations ?? [],
    survey: parts.find((part) => part.survey)?.survey ?? [],
    dhcp: parts.find((part) => part.dhcp)?.dhcp ?? [],
  };
  if (interfaces) sample.interfaces = interfaces;
  if (meta.errors && Object.keys(meta.errors).length > 0) sample.errors = meta.errors;
  return sample;
}
