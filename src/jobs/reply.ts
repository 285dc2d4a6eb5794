/**
 * Where job replies go: MQTT (`delivery/...` and `pub/...`) or, in REST mode, a POST to
 * `api_url`. The channel owns the on-disk outbox: a reply that cannot be sent now is kept
 * and sent in order later, so `send` never fails and never blocks the job runner.
 */
export type ReplyKind = "delivery" | "result";

/** A reply in SocketMan's wire shape (`id`, `app`, `timestamp`, `event_type`, `meta`, ...). */
export type JobReply = Record<string, unknown> & { id: string; event_type: string };

export interface ReplyChannel {
  send(kind: ReplyKind, reply: JobReply): void;
}
