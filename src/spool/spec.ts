/** The `spool` capability's spec: the cache in `cache_dir`, off with `no-cache`. */
import type { CapabilitySpec } from "../capability.ts";
import { cacheOff } from "../config/mod.ts";
import { needs } from "../permissions.ts";
import { SpoolCapability } from "./capability.ts";

/** The `spool` capability: `cache_dir`, read and written; it needs nothing of the others. */
export const spoolSpec: CapabilitySpec<void, "spool"> = {
  name: "spool",
  restartOn: ["cache_dir", "cache_max"],
  off: cacheOff,
  needs: (config) => ({
    flags: needs(cacheOff(config) ? {} : { read: [config.cache_dir], write: [config.cache_dir] }),
  }),
  build: (ctx) => new SpoolCapability(ctx),
};
