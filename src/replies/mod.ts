/**
 * Job replies: their wire shapes, the channel with its on-disk outbox, the REST transport,
 * and the replies capability. MQTT hands the channel its transport; jobs send through it.
 */
export { OutboxReplyChannel, type ReplyChannel, type ReplyTransport } from "./channel.ts";
export { Outbox, type OutboxEntry } from "./outbox.ts";
export { postJson, restTarget, restTransport } from "./rest.ts";
export { OUTBOX_FILE, ReplyService } from "./service.ts";
export { repliesSpec } from "./spec.ts";
export {
  deliveredReply,
  type JobReply,
  outcomeOf,
  refusalReply,
  type ReplyKind,
  type RestResult,
  resultReply,
  toRestResult,
} from "./wire.ts";
