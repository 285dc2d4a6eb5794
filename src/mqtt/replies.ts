/**
 * The `replies` capability: owns the job reply channel and its outbox, so that it outlives
 * both the session (jobs still answer while offline) and the jobs (their CANCELLED answers
 * at shutdown are kept): it starts first and stops last.
 */
import type { Capability, CapabilityContext } from "../capability.ts";
import type { Config } from "../config/mod.ts";
import type { JobReply, ReplyKind } from "../jobs/reply.ts";
import { Outbox } from "./outbox.ts";
import { OutboxReplyChannel, type ReplyTransport } from "./reply_channel.ts";
import { type RestTarget, restTransport } from "./rest.ts";

export const OUTBOX_FILE = "outbox.jsonl";

/** REST mode's target (`api_url`, then `backup_url`), or undefined without `rest`. */
export function restTarget(config: Config): RestTarget | undefined {
  if (!config.rest || !config.api_url) return undefined;
  const urls = [config.api_url, config.backup_url].filter((u): u is string => !!u);
  return { urls, token: config.token };
}

export class ReplyService implements Capability {
  readonly name = "replies" as const;
  readonly channel: OutboxReplyChannel;
  readonly via: "rest" | "mqtt";
  #mqtt: ReplyTransport | undefined;

  constructor(ctx: CapabilityContext) {
    const { config } = ctx;
    const rest = restTarget(config);
    if (config.rest && !rest) ctx.log.warn("rest is set but api_url is not: replies go over MQTT");
    this.via = rest ? "rest" : "mqtt";
    const mqtt: ReplyTransport = {
      ready: () => this.#mqtt?.ready() ?? false,
      deliver: (kind: ReplyKind, reply: JobReply) =>
        this.#mqtt?.deliver(kind, reply) ?? Promise.reject(new Error("no MQTT session")),
    };
    // In REST mode only results go to the API: acknowledgements stay on delivery/...
    const transport: ReplyTransport = rest ? byKind(mqtt, restTransport(ctx.io.net, rest)) : mqtt;
    this.channel = new OutboxReplyChannel(
      transport,
      new Outbox(`${config.state_dir}/${OUTBOX_FILE}`),
      { log: ctx.log.child("replies"), counters: ctx.counters, retryMaxS: config.reconnect_max },
    );
  }

  /** The MQTT session's publisher; undefined when the session stops (replies then wait). */
  attachMqtt(transport: ReplyTransport | undefined): void {
    this.#mqtt = transport;
    if (transport) this.channel.drain();
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
    deliver: (kind, reply) => (kind === "delivery" ? delivery : result).deliver(kind, reply),
  };
}
