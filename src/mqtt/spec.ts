/** The `mqtt` capability's spec: the broker session, off without a broker. */
import type { CapabilitySpec } from "../capability.ts";
import { type Config, SESSION_KEYS } from "../config/mod.ts";
import { apiNeeds, hostPort, needs } from "../permissions.ts";
import { MqttCapability } from "./capability.ts";

/** Why there is no MQTT session for this config, or undefined when there is one. */
export function mqttOff(config: Config): string | undefined {
  if (config.disable_mqtt) return "disable_mqtt is set";
  if (!config.mqtt_host) return "no mqtt_host";
  return undefined;
}

/** The `mqtt` capability: the broker, its certificates, and `api_url` for REST pings. */
export const mqttSpec: CapabilitySpec<"mqtt"> = {
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
  build: (ctx, peers) =>
    new MqttCapability(ctx, {
      onJob: (payload) =>
        peers.get("jobs")?.receive(payload) ?? Promise.reject(new Error("no jobs capability")),
      onConnect: () => {
        peers.get("replies")?.channel.drain();
        peers.get("desired")?.onConnect();
      },
      onDesired: ctx.config.desired
        ? (payload) => peers.get("desired")?.receive(payload) ?? Promise.resolve()
        : undefined,
      repliesWaiting: () => peers.get("replies")?.channel.waiting ?? 0,
    }),
};
