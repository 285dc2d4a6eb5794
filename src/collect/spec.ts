/** The `collect` capability's spec: the stats sources and what they need. */
import type { CapabilitySpec } from "../capability.ts";
import type { Config } from "../config/mod.ts";
import { type CapabilityNeeds, needs } from "../permissions.ts";
import { statsSink } from "../uplink/spec.ts";
import { Collector } from "./collector.ts";
import { DNSMASQ_LEASES_FALLBACK } from "./sources.ts";

/**
 * What the collector needs: Deno 2.9 refuses /proc and /sys to anything short of
 * --allow-all, so it reads them through `cat` (and the interface files through one `grep`);
 * /sys is named whole because Deno checks the resolved path (/sys/class/net/eth0 ->
 * /sys/devices/...), should it ever grant it directly.
 */
export function collectNeeds(config: Config): CapabilityNeeds {
  return {
    flags: needs({
      read: [
        "/proc",
        "/sys",
        config.dhcp_leases,
        DNSMASQ_LEASES_FALLBACK,
        "/etc/openwrt_version",
        "/etc/os-release",
        "/tmp/sysinfo",
      ],
      // osUptime, loadavg, systemMemoryInfo: the device stats when /proc is refused.
      sys: ["networkInterfaces", "osUptime", "loadavg", "systemMemoryInfo"],
      run: ["cat", "grep", ...(config.scan || config.survey ? ["ubus", "iw"] : [])],
    }),
    gate: { read: ["/proc"] },
  };
}

export const collectSpec: CapabilitySpec<"collect"> = {
  name: "collect",
  restartOn: ["scan", "survey", "dhcp_leases"],
  needs: (config) => collectNeeds(config),
  build: (ctx, peers) => new Collector(ctx, statsSink(ctx, peers)),
};
