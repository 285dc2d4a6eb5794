/** The `upgrade` capability's spec: the image hosts, the sysupgrade program, the files. */
import type { CapabilitySpec } from "../capability.ts";
import { needs } from "../permissions.ts";
import { realBox, SYSTEM_CONFIG, TZ_FILE } from "./box.ts";
import { UpgradeCapability, type UpgradeDeps } from "./capability.ts";
import { imageDir } from "./system.ts";

/** Why upgrades are off for this config, or undefined when they are on. */
export function upgradeOff(config: { upgrade: { hosts: readonly string[] } }): string | undefined {
  return config.upgrade.hosts.length === 0 ? "upgrade.hosts is not set" : undefined;
}

/** The `upgrade` capability: off until `upgrade.hosts` names where images may come from. */
export const upgradeSpec: CapabilitySpec<UpgradeDeps, "upgrade"> = {
  name: "upgrade",
  restartOn: ["upgrade", "state_dir"],
  off: (config) => {
    const off = upgradeOff(config);
    return off && `${off}: firmware upgrades are off`;
  },
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
  build: (ctx, deps) => new UpgradeCapability(ctx, deps, realBox(ctx.io.fs, ctx.io.exec)),
};
