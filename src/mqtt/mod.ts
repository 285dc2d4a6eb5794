/** The MQTT session, SocketMan's topics and messages, and the mqtt capability. */
export { MqttCapability, type MqttDeps } from "./capability.ts";
export { mqttSpec } from "./spec.ts";
