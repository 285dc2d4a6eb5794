/** The `upgrade` capability's spec: the image hosts, the sysupgrade program, the files. */
import type { CapabilitySpec } from "../capability.ts";
import { connectivityOf } from "../health/mod.ts";
import { needs } from "../permissions.ts";
import { KernelFs } from "../io/mod.ts";
import { BOOT_ID, imageDir, UpgradeService } from "./service.ts";
import { zoneOf } from "./zone.ts";

/** Where OpenWRT keeps the box's zone: UCI's system config, and its POSIX rule in /etc/TZ. */
const SYSTEM_CONFIG = "/etc/config/system";
const TZ_FILE = "/etc/TZ";

/** The `upgrade` capability: off until `upgrade.hosts` names where images may come from. */
export const upgradeSpec: CapabilitySpec<"upgrade"> = {
  name: "upgrade",
  restartOn: ["upgrade", "state_dir"],
  off: (config) =>
    config.upgrade.hosts.length === 0
      ? "upgrade.hosts is not set: firmware upgrades are off"
      : undefined,
  needs: (config) => {
    const { hosts, program, release_file } = config.upgrade;
    const files = [config.state_dir, imageDir(config.upgrade)];
    return {
      flags: needs({
        net: hosts,
        // cat: the boot id in /proc, which Deno reads only with -A.
        run: [program, "cat"],
        read: [...files, release_file, SYSTEM_CONFIG, TZ_FILE],
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
      zone: async () => {
        const read = (path: string) =>
          ctx.io.fs.readTextFile(path, { maxBytes: 64 * 1024 }).catch(() => undefined);
        return zoneOf(await read(SYSTEM_CONFIG), await read(TZ_FILE));
      },
      bootId: async () => {
        const files = new KernelFs(ctx.io.fs, ctx.io.exec);
        const text = await files.readTextFile(BOOT_ID, { maxBytes: 64 }).catch(() => "");
        return text.trim() || undefined;
      },
    }),
};
