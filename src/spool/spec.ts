/** The `spool` capability's spec: the cache in `cache_dir`, off with `no-cache`. */
import type { CapabilitySpec } from "../capability.ts";
import { needs } from "../permissions.ts";
import { SpoolCapability } from "./capability.ts";

/** The `spool` capability: `cache_dir`, read and written. */
export const spoolSpec: CapabilitySpec<"spool"> = {
  name: "spool",
  restartOn: ["cache_dir", "cache_max"],
  off: (config) => config["no-cache"] ? "no-cache is set" : undefined,
  needs: (config) => ({
    flags: needs(
      config["no-cache"] ? {} : { read: [config.cache_dir], write: [config.cache_dir] },
    ),
  }),
  build: (ctx) => new SpoolCapability(ctx),
};
