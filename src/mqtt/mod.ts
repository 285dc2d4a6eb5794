/** The MQTT session, SocketMan's topics and messages, and the mqtt capability. */
export { MqttCapability, type MqttLinks } from "./capability.ts";
export { AFTER_LOSS_ATTEMPT, MqttSession, reconnectDelayMs } from "./session.ts";
export { clientIdFor, jobTopics, redactTopic } from "./topics.ts";
export { mqttOff, mqttSpec } from "./spec.ts";
