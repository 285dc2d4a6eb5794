/** The `uplink` capability's spec, and the stats path the collector pushes into. */
import type { CapabilityContext, CapabilitySpec } from "../capability.ts";
import type { Sample, SampleSink } from "../collect/sink.ts";
import type { Peers } from "../peers.ts";
import { apiNeeds, needs } from "../permissions.ts";
import { UplinkCapability } from "./capability.ts";

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

export const uplinkSpec: CapabilitySpec<"uplink"> = {
  name: "uplink",
  restartOn: [
    "stats_url",
    "backup_stats_url",
    "token",
    "mac",
    "no-cache",
    "upload_format",
    "heartbeat",
  ],
  uses: ["spool"],
  needs: (config) => ({
    flags: needs(apiNeeds([config.stats_url, config.backup_stats_url], config.insecure)),
  }),
  build: (ctx, peers) => new UplinkCapability(ctx, () => peers.get("spool")?.spool),
};
