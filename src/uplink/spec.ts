/** The `uplink` capability's spec. */
import type { CapabilitySpec } from "../capability.ts";
import { apiNeeds, needs } from "../permissions.ts";
import { UplinkCapability } from "./capability.ts";

/** The `uplink` capability: the stats API hosts. */
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
