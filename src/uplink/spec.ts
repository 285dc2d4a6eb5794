/** The `uplink` capability's spec. */
import type { CapabilitySpec } from "../capability.ts";
import { apiNeeds, needs } from "../permissions.ts";
import { UplinkCapability, type UplinkDeps } from "./capability.ts";

/** The `uplink` capability: the stats API hosts; it uploads the spool it is given. */
export const uplinkSpec: CapabilitySpec<UplinkDeps, "uplink"> = {
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
  build: (ctx, deps) => new UplinkCapability(ctx, deps),
};
