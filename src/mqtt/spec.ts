/** The `mqtt` capability's spec: the broker session, off without a broker. */
import type { CapabilitySpec } from "../capability.ts";
import { mqttOff, SESSION_KEYS } from "../config/mod.ts";
import { hostPort, needs } from "../permissions.ts";
import { MqttCapability, type MqttDeps } from "./capability.ts";

/** The `mqtt` capability: the broker, its certificates, and `api_url` for REST pings. */
export const mqttSpec: CapabilitySpec<MqttDeps, "mqtt"> = {
  name: "mqtt",
  restartOn: [
    ...SESSION_KEYS,
    "keepalive",
    "qos",
    "reconnect_max",
    "disable_mqtt",
    "no-ping",
    "ping-interval",
    "desired",
  ],
  off: mqttOff,
  needs: (config) => {
    if (mqttOff(config)) return { flags: needs({}) };
    return {
      flags: needs({
        net: [config.mqtt_host!, ...config.mqtt_backup_hosts ?? []].map((h) =>
          hostPort(h, config.port)
        ),
        read: [config.cacrt, config.client_cert, config.client_key],
      }),
    };
  },
  build: (ctx, deps) => new MqttCapability(ctx, deps),
};
