/** The `health` capability's spec: the connectivity watch, recovery and boot. */
import type { CapabilitySpec } from "../capability.ts";
import type { Peers } from "../peers.ts";
import type { Connectivity } from "./connectivity.ts";
import { mqttOff } from "../mqtt/mod.ts";
import { apiNeeds, hostPort, needs } from "../permissions.ts";
import { commandArgv, HealthCapability, healthTarget } from "./capability.ts";
import { ROUTE_FILE } from "./checks.ts";

/**
 * The health capability's checks and recovery as its peers use them, looked up at each
 * call (the one running now); without it, online is assumed.
 */
export function connectivityOf(peers: Peers): Connectivity {
  return {
    check: () =>
      peers.get("health")?.check() ??
        Promise.resolve({ online: true, details: ["health not running: assumed online"] }),
    recover: () => peers.get("health")?.recover() ?? Promise.resolve(undefined),
  };
}

/** The `health` capability: the probe target, the route file, the recovery programs, `boot_cmd` and `boot_url`. */
export const healthSpec: CapabilitySpec<"health"> = {
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
          commandArgv(config.recovery_cmd)[0],
          commandArgv(config.reboot_cmd)[0],
          config.boot_cmd ? "/bin/sh" : undefined,
        ],
      }),
      gate: { net: probe },
    };
  },
  build: (ctx, peers) =>
    new HealthCapability(ctx, {
      mqttConnected: mqttOff(ctx.config) ? undefined : () => peers.get("mqtt")?.connected ?? false,
      // Samples batched in memory reach the disk before the box goes down.
      beforeReboot: async () => await peers.get("spool")?.spool?.commit(),
      // Back online: the cache goes up now, not at the next upload interval.
      onOnline: () => peers.get("uplink")?.trigger(),
      agentStartedAt: ctx.agentStartedAt,
    }),
};
