/**
 * The permissions of a whole agent for a config: what the agent itself needs beside its
 * capabilities (its config, the environment it looks at, the control socket, provisioning),
 * and every capability's. `ledge flags run` prints them; /usr/bin/ledge runs under them.
 */
import type { CapabilitySpec } from "../capability.ts";
import type { Config } from "../config/mod.ts";
import { TRIM_ENV } from "../memory_trim.ts";
import {
  type CapabilityNeeds,
  type Needs,
  needs,
  presetNeeds,
  type RunContext,
} from "../permissions.ts";
import { provisionNeeds } from "../provision/mod.ts";
import { CAPABILITIES } from "./wiring.ts";

/**
 * What the agent itself needs beside its capabilities: to read its config (and the MAC
 * file), the environment it looks at, the control socket, and with `-b` provisioning.
 */
export function agentNeeds(config: Config, run: RunContext): Record<string, CapabilityNeeds> {
  const sock = run.controlSocket;
  return {
    config: {
      flags: needs({
        read: [run.configPath, config.mac ? undefined : config.mac_file],
        // Deno refuses /sys and /proc: a MAC file there is read through cat.
        run: !config.mac && /^\/(sys|proc)\//.test(config.mac_file) ? ["cat"] : [],
      }),
    },
    log: { flags: needs({ env: ["DEBUG"] }) },
    // Its directories (cache_dir, state_dir, upgrade.dir's) must be its own: checked by uid.
    files: { flags: needs({ sys: ["uid"] }) },
    memory: { flags: needs({ env: [TRIM_ENV] }) },
    control: {
      // /etc/group names the gid of control_socket_group.
      flags: needs(
        sock
          ? {
            read: [sock, config.control_socket_group ? "/etc/group" : undefined],
            write: [sock],
            net: [`unix:${sock}`],
          }
          : {},
      ),
    },
    ...(run.initUrl ? { provision: provisionNeeds(run.initUrl, run.configPath) } : {}),
  };
}

/** The whole preset of a config: every flag the agent and its capabilities need. */
export function presetFor(
  config: Config,
  run: RunContext,
  specs: readonly CapabilitySpec[] = CAPABILITIES.map((wired) => wired.spec),
): Needs {
  return presetNeeds([
    ...Object.values(agentNeeds(config, run)),
    ...specs.filter((spec) => !spec.off?.(config)).map((spec) => spec.needs(config, run)),
  ]);
}
