/** The `collect` capability's spec: the stats sources and what they need. */
import type { CapabilitySpec } from "../capability.ts";
import type { Config } from "../config/mod.ts";
import { type CapabilityNeeds, needs } from "../permissions.ts";
import { statsSink } from "../uplink/spec.ts";
import { Collector } from "./collector.ts";
import { defaultSources } from "./sources.ts";

/**
 * What the collector needs: what its sources need and use, each declared once beside the
 * source. It runs with whatever it is granted: a source without its permission is left out
 * with one log line, the others go on.
 */
export function collectNeeds(config: Config): CapabilityNeeds {
  const all = defaultSources(config).flatMap((source) => [source.needs, source.uses ?? {}]);
  return {
    flags: needs({
      read: all.flatMap((n) => n.read ?? []),
      run: all.flatMap((n) => n.run ?? []),
      sys: all.flatMap((n) => n.sys ?? []),
    }),
    gate: {},
  };
}

export const collectSpec: CapabilitySpec<"collect"> = {
  name: "collect",
  restartOn: ["scan", "survey", "dhcp_leases"],
  needs: (config) => collectNeeds(config),
  build: (ctx, peers) => new Collector(ctx, statsSink(ctx, peers)),
};
