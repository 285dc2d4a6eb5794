/** The `collect` capability's spec: the stats sources, what they need, where samples go. */
import type { CapabilityContext, CapabilitySpec } from "../capability.ts";
import type { Config } from "../config/mod.ts";
import { type CapabilityNeeds, needs } from "../permissions.ts";
import type { Peers } from "../peers.ts";
import { Collector } from "./collector.ts";
import type { Sample } from "./sample.ts";
import type { SampleSink } from "./sink.ts";
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

/**
 * Where the collector's samples go: the spool, or with `no-cache` the uplink, looked up
 * at each push so a reload that restarts either is followed.
 */
export function statsSink(ctx: Pick<CapabilityContext, "config">, peers: Peers): SampleSink {
  return {
    push: (sample: Sample) => {
      const sink = ctx.config["no-cache"] ? peers.get("uplink") : peers.get("spool");
      return sink?.push(sample) ?? Promise.reject(new Error("no stats path"));
    },
  };
}

/** The `collect` capability: what its sources need, and the sink the config picks. */
export const collectSpec: CapabilitySpec<"collect"> = {
  name: "collect",
  restartOn: ["scan", "survey", "dhcp_leases"],
  needs: (config) => collectNeeds(config),
  build: (ctx, peers) => new Collector(ctx, statsSink(ctx, peers)),
};
