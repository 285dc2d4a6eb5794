/**
 * The `mqtt` capability: the session to the broker, SocketMan's presence and pings on
 * `status/...`, jobs in from `sub/...`, and the transport the `replies` capability sends
 * through. Built from the context; nothing global.
 */
import type { Capability, CapabilityContext } from "../capability.ts";
import type { Config } from "../config/mod.ts";
import { settlesWithin } from "../io/mod.ts";
import type { JobEnvelope, ReplyTransport } from "../replies/mod.ts";
import { MqttReplies } from "./replies.ts";
import { envelopeOf } from "./request.ts";
import { MqttSession } from "./session.ts";
import type { SessionTls } from "./socket.ts";
import {
  clientIdFor,
  type JobTopics,
  jobTopics,
  pingEvent,
  presenceEvent,
  redactTopic,
} from "./topics.ts";

const STOP_PUBLISH_MS = 1000;

/** What the session hands on: job payloads, and the news that it is connected. */
export interface MqttDeps {
  /**
   * Where job payloads go, with what their message said beside them (MQTT 5). The broker's
   * copy is acknowledged once the returned promise settles (the job journaled), so a crash
   * before that gets the job re-delivered.
   */
  onJob(payload: Uint8Array, envelope: JobEnvelope): Promise<void>;
  /** After each connect: replies waiting in the outbox (and a state report) can go. */
  onConnect(): void;
  /** A desired state from `config/...`; undefined when desired state is off. */
  onDesired?(payload: Uint8Array): Promise<void>;
  /** Replies waiting to be sent, for `mqtt-info`. */
  repliesWaiting(): number;
}

/** The `mqtt` capability: the session to the broker, the job subscription, pings, and the reply transport. */
export class MqttCapability implements Capability {
  readonly name = "mqtt" as const;
  /** Replies go out on `delivery/...` and `pub/...` through this; not ready while offline. */
  readonly replyTransport: ReplyTransport;

  readonly #ctx: CapabilityContext;
  readonly #deps: MqttDeps;
  #session: MqttSession | undefined;
  #topics: JobTopics | undefined;
  #clientId = "";
  /** Aborted on stop: ends the ping loop. */
  #stopping = new AbortController();
  readonly #replies: MqttReplies;
  readonly #log;

  /** Connects nothing yet: `start()` does. */
  constructor(ctx: CapabilityContext, deps: MqttDeps) {
    this.#ctx = ctx;
    this.#deps = deps;
    this.#log = ctx.log.child("mqtt");
    this.#replies = new MqttReplies(
      () => this.#session && this.#topics && { session: this.#session, topics: this.#topics },
      {
        expiryS: () => ctx.config.reply_expiry_s,
        log: this.#log,
        counters: ctx.counters,
        clock: ctx.io.clock,
      },
    );
    this.replyTransport = this.#replies;
    this.#registerCommands();
  }

  async start(): Promise<void> {
    const { config, mac, log, io } = this.#ctx;
    if (!mac) throw new Error("no device MAC (set mac or mac_file): topics need it");
    if (!config.topic || !config.key) {
      throw new Error("topic and key are needed for the MQTT topics");
    }
    const topics = jobTopics(config.topic, config.key, mac);
    const clientId = config.client_id ?? clientIdFor(mac);
    this.#clientId = clientId;
    const tls = config.tls ? await readTls(config, (p) => io.fs.readTextFile(p)) : undefined;
    this.#topics = topics;
    const session = new MqttSession(
      {
        host: config.mqtt_host!,
        backupHosts: config.mqtt_backup_hosts,
        port: config.port,
        tls,
        username: config.username,
        password: config.password,
        clientId,
        keepaliveS: config.keepalive,
        clean: config.qos === 0,
        reconnectMaxS: config.reconnect_max,
        subscriptions: [
          { topic: topics.sub, qos: config.qos },
          ...(this.#deps.onDesired ? [{ topic: topics.config, qos: 1 as const }] : []),
        ],
        will: {
          topic: topics.status,
          payload: () => this.#presence(false),
        },
        version: config.mqtt_version === "3.1.1" ? 4 : config.mqtt_version === "5" ? 5 : "auto",
        sessionExpiryS: config.session_expiry_s,
      },
      {
        onConnect: () => {
          this.#publishStatus(this.#presence(true));
          this.#deps.onConnect();
        },
        onMessage: (topic, payload, properties) => {
          if (topic === topics.sub) {
            return this.#deps.onJob(payload, envelopeOf(properties, io.clock.monotonic()));
          }
          if (topic === topics.config && this.#deps.onDesired) {
            return this.#deps.onDesired(payload);
          }
          log.debug("message on an unexpected topic ignored", { topic: redactTopic(topic) });
        },
      },
      { log: this.#log, counters: this.#ctx.counters, clock: io.clock },
    );
    this.#session = session;
    await session.start();
    this.#stopping = new AbortController();
    if (!config["no-ping"]) void this.#pingLoop(config["ping-interval"] * 1000);
  }

  async stop(): Promise<void> {
    this.#stopping.abort();
    this.#replies.close();
    const session = this.#session;
    this.#session = undefined;
    if (session?.connected && this.#topics) {
      // Leaving on purpose: the broker drops the will, so say it ourselves.
      const offline = session.publish(this.#topics.status, this.#presence(false));
      await settlesWithin(this.#ctx.io.clock, STOP_PUBLISH_MS, offline.acked);
    }
    await session?.stop();
  }

  /** Publishes the desired state's report on `state/...`, retained; throws when offline. */
  async publishState(report: string): Promise<void> {
    const session = this.#session;
    if (!session || !this.#topics) throw new Error("mqtt not started");
    await session.publish(this.#topics.state, report, { retain: true }).acked;
  }

  /** Whether the session is up: evidence of being online for the health checks. */
  get connected(): boolean {
    return this.#session?.connected ?? false;
  }

  state(): string {
    const session = this.#session;
    if (!session) return "stopped";
    return `${session.connected ? "connected to" : "connecting to"} ${session.info().broker}`;
  }

  #nowS(): number {
    return Math.floor(this.#ctx.io.clock.now() / 1000);
  }

  #presence(online: boolean): string {
    return JSON.stringify(
      presenceEvent(this.#ctx.config.app, this.#clientId, online, this.#nowS()),
    );
  }

  #publishStatus(message: string): void {
    if (!this.#session || !this.#topics) return;
    this.#session.publish(this.#topics.status, message).acked.catch((error) =>
      this.#ctx.log.debug("status message not sent", { error })
    );
  }

  async #pingLoop(intervalMs: number): Promise<void> {
    const { clock } = this.#ctx.io;
    while (await clock.sleep(intervalMs, this.#stopping.signal).then(() => true, () => false)) {
      this.#sendPing();
    }
  }

  #sendPing(): void {
    const ping = pingEvent(this.#ctx.config.app, this.#nowS());
    // On MQTT only, REST mode too: SocketMan never sent a ping to the API (ping.c:27).
    if (this.#session?.connected) this.#publishStatus(JSON.stringify(ping));
  }

  #registerCommands(): void {
    this.#ctx.commands.register({
      name: "mqtt-info",
      description: "broker, client id, topics (key hidden), connected since, messages in/out",
      capability: "mqtt",
      run: () => {
        const topics: Partial<JobTopics> = this.#topics ?? {};
        const counters = this.#ctx.counters;
        return {
          ...this.#session?.info(),
          topics: Object.fromEntries(
            Object.entries(topics).map(([name, topic]) => [name, redactTopic(topic!)]),
          ),
          "messages-in": counters.get("mqtt-messages-in"),
          "messages-out": counters.get("mqtt-messages-out"),
          "replies-waiting": this.#deps.repliesWaiting(),
        };
      },
    });
  }
}

/** The PEM files of the broker connection; a missing file fails the start with its path. */
async function readTls(
  config: Config,
  read: (path: string) => Promise<string>,
): Promise<SessionTls> {
  const load = async (path: string | undefined, what: string) => {
    if (!path) return undefined;
    try {
      return await read(path);
    } catch (error) {
      throw new Error(`${what} ${path}: ${error instanceof Error ? error.message : error}`);
    }
  };
  return {
    ca: await load(config.cacrt, "cacrt"),
    cert: await load(config.client_cert, "client_cert"),
    key: await load(config.client_key, "client_key"),
    alpn: config.mqtt_alpn,
  };
}
