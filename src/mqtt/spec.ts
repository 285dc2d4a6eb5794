/** The `mqtt` capability's spec: the broker session, off without a broker. */
import type { CapabilitySpec } from "../capability.ts";
import { mqttOff, SESSION_KEYS } from "../config/mod.ts";
import { apiNeeds, hostPort, needs } from "../permissions.ts";
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
    "rest",
    "api_url",
    "token",
    "desired",
  ],
  off: mqttOff,
  needs: (config) => {
    if (mqttOff(config)) return { flags: needs({}) };
    // SocketMan's pings are also POSTed to api_url in REST mode.
    const pings = config.rest && !config["no-ping"]
      ? apiNeeds([config.api_url], config.insecure)
      : {};
    return {
      flags: needs({
        net: [hostPort(config.mqtt_host!, config.port), ...pings.net ?? []],
        insecure: pings.insecure,
        read: [config.cacrt, config.client_cert, config.client_key],
      }),
    };
  },
  build: (ctx, deps) => new MqttCapability(ctx, deps),
};
