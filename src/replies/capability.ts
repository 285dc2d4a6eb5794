/**
 * The `replies` capability: owns the job reply channel and its outbox, so that it outlives
 * both the session (jobs still answer while offline) and the jobs (their CANCELLED answers
 * at shutdown are kept): it starts before them and stops after them.
 */
import type { Capability, CapabilityContext } from "../capability.ts";
import { OutboxReplyChannel, type ReplyTransport } from "./channel.ts";
import { Outbox } from "./outbox.ts";
import { restTarget, restTransport } from "./rest.ts";

export const OUTBOX_FILE = "outbox.jsonl";

/** What the replies need of the others: the MQTT session's transport. */
export interface RepliesDeps {
  /** The session's transport, asked for at each send (it may come and go). */
  transport(): ReplyTransport | undefined;
}

/** The `replies` capability: the channel the jobs send through, over MQTT or REST, with its outbox. */
export class RepliesCapability implements Capability {
  readonly name = "replies" as const;
  /** What jobs send their replies through. */
  readonly channel: OutboxReplyChannel;
  /** Whether replies go to the REST API or over MQTT. */
  readonly via: "rest" | "mqtt";

  /** Opens nothing yet: `start()` loads the outbox. */
  constructor(ctx: CapabilityContext, deps: RepliesDeps) {
    const mqtt = deps.transport;
    const { config } = ctx;
    const rest = restTarget(config);
    if (config.rest && !rest) ctx.log.warn("rest is set but api_url is not: replies go over MQTT");
    this.via = rest ? "rest" : "mqtt";
    const session: ReplyTransport = {
      ready: () => mqtt()?.ready() ?? false,
      deliver: (kind, reply, route) =>
        mqtt()?.deliver(kind, reply, route) ??
          { acked: Promise.reject(new Error("no MQTT session")), written: undefined },
      maxBytes: (route) => mqtt()?.maxBytes?.(route),
    };
    // In REST mode only results go to the API: acknowledgements stay on delivery/...
    const transport: ReplyTransport = rest
      ? byKind(session, restTransport(ctx.io.net, rest))
      : session;
    this.channel = new OutboxReplyChannel(
      transport,
      new Outbox(`${config.state_dir}/${OUTBOX_FILE}`, undefined, ctx.io.fs),
      {
        log: ctx.log.child("replies"),
        counters: ctx.counters,
        clock: ctx.io.clock,
        retryMaxS: config.reconnect_max,
        maxReplyBytes: () => ctx.config.max_reply,
      },
    );
  }

  start(): Promise<void> {
    return this.channel.open();
  }

  stop(): Promise<void> {
    return this.channel.close();
  }

  state(): string {
    return `via ${this.via}, ${this.channel.waiting} waiting`;
  }
}

function byKind(delivery: ReplyTransport, result: ReplyTransport): ReplyTransport {
  return {
    ready: () => delivery.ready() || result.ready(),
    deliver: (kind, reply, route) =>
      (kind === "delivery" ? delivery : result).deliver(kind, reply, route),
  };
}
