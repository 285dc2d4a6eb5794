/** Builds one sample from the parts the sources returned: pure, so it is tested directly. */
import type { Device, NetInterface, Sample } from "./sample.ts";
import type { Link, Part } from "./source.ts";

// SocketMan's key order, so that samples read the same side by side.
const DEVICE_KEYS: (keyof Device)[] = [
  "mac",
  "created_at",
  "online",
  "uptime",
  "load_1",
  "load_5",
  "load_15",
  "total_ram",
  "free_ram",
  "procs",
  "procs_running",
  "procs_blocked",
  "wan_name",
  "wan_ip",
  "wan_gateway",
  "tx_bytes",
  "rx_bytes",
  "machine_type",
  "firmware",
  "serial",
];

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
  const device: Device = {
    ...merged,
    mac: meta.mac,
    created_at: meta.createdAt,
    online: meta.online,
    wan_ip: merged.wan_name ? firstIpv4(links?.get(merged.wan_name)?.addresses) : undefined,
    tx_bytes: wan?.tx_bytes,
    rx_bytes: wan?.rx_bytes,
  };
  const sample: Sample = {
    id: meta.id,
    device: Object.fromEntries(
      DEVICE_KEYS.filter((k) => device[k] !== undefined).map((k) => [k, device[k]]),
    ),
  };
  if (interfaces) sample.interfaces = interfaces;
  for (const part of parts) {
    if (part.wireless) {
      sample.ssids = part.wireless.ssids;
      sample.stations = part.wireless.stations;
    }
    if (part.survey) sample.survey = part.survey;
    if (part.dhcp) sample.dhcp = part.dhcp;
  }
  if (meta.errors && Object.keys(meta.errors).length > 0) sample.errors = meta.errors;
  return sample;
}
