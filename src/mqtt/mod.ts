/** The MQTT session, its reply channel and outbox, and REST mode. */
export { type JobSink, MqttCapability } from "./capability.ts";
export { reconnectDelayMs } from "./backoff.ts";
export { ReplyService, restTarget } from "./replies.ts";
export { clientIdFor, jobTopics, redactTopic } from "./topics.ts";
