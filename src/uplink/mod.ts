import type { Capability, CapabilityContext } from "../capability.ts";
import type { SampleSink } from "../collect/sink.ts";
import { SpoolCapability } from "../spool/mod.ts";
import { UplinkCapability } from "./capability.ts";

export { UplinkCapability } from "./capability.ts";
export { Uploader, type UploadReport } from "./uploader.ts";
export { StatsPoster } from "./poster.ts";

/**
 * The stats path from collector to API: spool then uplink, or the uplink alone with
 * `no-cache`. `sink` is what the collector pushes samples into.
 */
export function buildStatsPipeline(
  ctx: CapabilityContext,
): {
  capabilities: Capability[];
  sink: SampleSink;
  uplink: UplinkCapability;
  spool?: SpoolCapability;
} {
  if (ctx.config["no-cache"]) {
    const uplink = new UplinkCapability(ctx);
    return { capabilities: [uplink], sink: uplink, uplink };
  }
  const spool = new SpoolCapability(ctx);
  const uplink = new UplinkCapability(ctx, () => spool.spool);
  return { capabilities: [spool, uplink], sink: spool, uplink, spool };
}
