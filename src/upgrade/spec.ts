/** The `upgrade` capability's spec: the image hosts, the sysupgrade program, the files. */
import type { CapabilitySpec } from "../capability.ts";
import { connectivityOf } from "../health/mod.ts";
import { needs } from "../permissions.ts";
import { UpgradeService } from "./service.ts";

/** The `upgrade` capability: off until `upgrade.hosts` names where images may come from. */
export const upgradeSpec: CapabilitySpec<"upgrade"> = {
  name: "upgrade",
  restartOn: ["upgrade", "state_dir"],
  off: (config) =>
    config.upgrade.hosts.length === 0
      ? "upgrade.hosts is not set: firmware upgrades are off"
      : undefined,
  needs: (config) => {
    const { hosts, program, dir, release_file } = config.upgrade;
    const files = [config.state_dir, dir];
    return {
      flags: needs({
        net: hosts,
        run: [program],
        read: [...files, release_file],
        write: files,
        sys: ["systemMemoryInfo"],
      }),
      gate: { net: hosts, run: [program], read: files, write: files },
    };
  },
  build: (ctx, peers) =>
    new UpgradeService(ctx, {
      send: (reply) => peers.get("replies")?.channel.send("result", reply),
      flushed: () => peers.get("replies")?.channel.flushed() ?? Promise.resolve(),
      beforeFlash: async () => await peers.get("spool")?.spool?.commit(),
      online: async () => (await connectivityOf(peers).check()).online,
      memoryAvailable: () => {
        try {
          return Deno.systemMemoryInfo().available;
        } catch {
          return undefined; // without --allow-sys=systemMemoryInfo: the cap is the download's
        }
      },
      random: Math.random,
    }),
};
