/**
 * Job replies: their wire shapes, the channel with its on-disk outbox, the REST transport,
 * and the replies capability. MQTT hands the channel its transport; jobs send through it.
 */
export {
  OutboxReplyChannel,
  type ReplyChannel,
  type ReplyTransport,
  type Sent,
} from "./channel.ts";
export { restRequest, type RestTarget, restTarget, sendRest } from "./rest.ts";
export { RepliesCapability, type RepliesDeps } from "./capability.ts";
export { repliesSpec } from "./spec.ts";
export {
  deliveredReply,
  type JobReply,
  type Outcome,
  outcomeOf,
  type Refusal,
  refusalReply,
  type ReplyContext,
  type ReplyKind,
  resultReply,
} from "./wire.ts";
export { type JobEnvelope, progressRoute, type ReplyRoute } from "./route.ts";
