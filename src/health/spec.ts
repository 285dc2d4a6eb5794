/** The `health` capability's spec: the connectivity watch, recovery and boot. */
import type { CapabilitySpec } from "../capability.ts";
import { apiNeeds, hostPort, needs } from "../permissions.ts";
import { HealthCapability, type HealthDeps } from "./capability.ts";
import { healthTarget, ROUTE_FILE } from "./checks.ts";
import { programArgv } from "./recovery.ts";

/** The `health` capability: the probe target, the route file, the recovery programs, `boot_cmd` and `boot_url`. */
export const healthSpec: CapabilitySpec<HealthDeps, "health"> = {
  name: "health",
  restartOn: [
    "health_url",
    "health_port",
    "mqtt_host",
    "port",
    "disable_mqtt",
    "reboot",
    "recovery_cmd",
    "reboot_cmd",
  ],
  needs: (config) => {
    const target = healthTarget(config);
    const probe = target ? [hostPort(target.host, target.port)] : [];
    const boot = apiNeeds([config.boot_url], config.insecure);
    return {
      flags: needs({
        read: [ROUTE_FILE],
        net: [...probe, ...boot.net!],
        insecure: boot.insecure,
        run: [
          "cat",
          programArgv(config.recovery_cmd)[0],
          programArgv(config.reboot_cmd)[0],
          config.boot_cmd ? "/bin/sh" : undefined,
        ],
      }),
      gate: { net: probe },
    };
  },
  build: (ctx, deps) => new HealthCapability(ctx, deps),
};
