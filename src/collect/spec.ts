/** The `collect` capability's spec: the stats sources, what they need, where samples go. */
import type { CapabilitySpec } from "../capability.ts";
import type { Config } from "../config/mod.ts";
import { type CapabilityNeeds, needs } from "../permissions.ts";
import { CollectCapability } from "./capability.ts";
import type { SampleSink } from "./sink.ts";
import { defaultSources } from "./sources.ts";

/** What the collector needs of the others: where its samples go. */
export interface CollectDeps {
  /** The spool, or with `no-cache` the uplink (the wiring picks). */
  sink: SampleSink;
}

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

/** The `collect` capability: what its sources need; its samples go to the sink it is given. */
export const collectSpec: CapabilitySpec<CollectDeps, "collect"> = {
  name: "collect",
  restartOn: ["scan", "survey", "dhcp_leases"],
  needs: (config) => collectNeeds(config),
  build: (ctx, deps) => new CollectCapability(ctx, deps.sink),
};
