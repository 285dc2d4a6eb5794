/**
 * Job replies over the session: `delivery/...` and `pub/...`, and with MQTT 5 a result also
 * on its job's response topic, with the job's correlation data and user properties.
 */
import type { Counters } from "../counters.ts";
import type { Clock } from "../io/mod.ts";
import { type Logger, LogThrottle } from "../log/mod.ts";
import type { JobReply, ReplyKind, ReplyRoute, ReplyTransport, Sent } from "../replies/mod.ts";
import { PublishRefused } from "./connection.ts";
import type { SentProperties } from "./properties.ts";
import type { MqttSession } from "./session.ts";
import { type JobTopics, redactTopic } from "./topics.ts";

const encoder = new TextEncoder();

/** A reply's fixed header, packet id, and its properties' length and expiry. */
const REPLY_OVERHEAD_BYTES = 24;
/** One log line a period for results a job's response topic refuses. */
const REFUSED_ANSWER_LOG_MS = 60_000;

/** What the replies need of the session. */
export type ReplySession = Pick<MqttSession, "connected" | "brokerMaxPacket" | "publish">;

export interface MqttRepliesDeps {
  /** The config's `reply_expiry_s`, read at each send. */
  expiryS(): number;
  log: Logger;
  counters: Counters;
  clock: Clock;
}

/** The reply transport over MQTT; not ready while the session is down. */
export class MqttReplies implements ReplyTransport {
  /** Results a job's response topic refused: one line a period. */
  readonly #refused: LogThrottle;

  /** `live`: the session and its topics, while started. */
  constructor(
    private readonly live: () => { session: ReplySession; topics: JobTopics } | undefined,
    private readonly deps: MqttRepliesDeps,
  ) {
    deps.counters.declare("mqtt-answers-refused");
    this.#refused = new LogThrottle(
      deps.clock,
      REFUSED_ANSWER_LOG_MS,
      (_, suppressed) => deps.log.warn(`${suppressed} more results refused on response topics`),
    );
  }

  ready(): boolean {
    return this.live()?.session.connected ?? false;
  }

  /**
   * A reply on `delivery/...` or `pub/...`; a result also on the job's response topic, with
   * its correlation data (MQTT 5 request/response). The response topic is the back end's
   * extra: one the broker refuses (an ACL) is said and counted, and does not hold the reply.
   */
  deliver(kind: ReplyKind, reply: JobReply, route?: ReplyRoute): Sent {
    const live = this.live();
    if (!live) return { acked: Promise.reject(new Error("mqtt not started")), written: undefined };
    const { session, topics } = live;
    const payload = JSON.stringify(reply);
    const expiry = this.deps.expiryS();
    const properties: SentProperties = {
      ...(expiry > 0 ? { messageExpiry: expiry } : {}),
      ...(route?.userProperties ? { userProperties: route.userProperties } : {}),
    };
    const topic = kind === "delivery" ? topics.delivery : topics.pub;
    // Keyed: a reply sent again after a lost connection keeps its packet id, with DUP.
    const sent = session.publish(topic, payload, { key: `${kind}:${reply.id}`, properties });
    if (kind !== "result" || !route?.responseTopic) return sent;
    const answer = session.publish(route.responseTopic, payload, {
      key: `response:${reply.id}`,
      properties: {
        ...properties,
        ...(route.correlation ? { correlationData: Uint8Array.fromBase64(route.correlation) } : {}),
      },
    });
    const answered = answer.acked.catch((error) => {
      if (!(error instanceof PublishRefused)) throw error;
      this.deps.counters.inc("mqtt-answers-refused");
      this.#refused.note(
        "refused",
        () =>
          this.deps.log.warn("result refused on its response topic", {
            id: reply.id,
            // A back end may put the fleet's key in it, as in ours.
            topic: redactTopic(route.responseTopic!),
            error: error.message,
          }),
      );
    });
    const written = [sent.written, answer.written].filter((w) => w !== undefined);
    return {
      acked: Promise.all([sent.acked, answered]).then(() => {}),
      written: written.length > 0 ? Promise.all(written).then(() => {}) : undefined,
    };
  }

  /** MQTT 5: the broker's packet limit, less a reply's topic, header and properties. */
  maxBytes(route?: ReplyRoute): number | undefined {
    const live = this.live();
    const limit = live?.session.brokerMaxPacket;
    if (limit === undefined) return undefined;
    const routeBytes = route ? encoder.encode(JSON.stringify(route)).length : 0;
    const topic = Math.max(
      encoder.encode(live!.topics.pub).length,
      encoder.encode(route?.responseTopic ?? "").length,
    );
    return limit - REPLY_OVERHEAD_BYTES - topic - routeBytes;
  }

  /** Ends the log's periods (at stop). */
  close(): void {
    this.#refused.close();
  }
}
