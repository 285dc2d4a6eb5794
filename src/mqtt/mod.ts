/** The MQTT session, SocketMan's topics and messages, and the mqtt capability. */
export { MqttCapability } from "./capability.ts";
export { mqttOff, mqttSpec } from "./spec.ts";
