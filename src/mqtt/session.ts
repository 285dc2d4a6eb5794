/**
 * One MQTT session that never gives up: after any loss, including a broker unreachable at
 * boot, a fresh connection is made after a backoff with full jitter. Publishing never
 * waits for a connection: while offline it rejects at once, and the reply channel keeps
 * the message. The MQTT client is ours (connection.ts, packet.ts) on Deno's own sockets:
 * mqtt.js and the Node compatibility it needs cost 4 MB of memory a router cannot reclaim.
 */
import { fullJitterDelay } from "../backoff.ts";
import { type Clock, deadline, settlesWithin, TIMED_OUT } from "../io/mod.ts";
import { ConnackRefused, MqttConnection, type Published, PublishRefused } from "./connection.ts";
import { type Properties, reasonOf, type SentProperties } from "./properties.ts";
import type { Counters } from "../counters.ts";
import type { Logger } from "../log/mod.ts";
import { openSocket, type SessionTls } from "./socket.ts";
import { redactTopic } from "./topics.ts";

export interface SessionOptions {
  host: string;
  /** Brokers tried in turn after `host` when a connect fails (same port, TLS, credentials). */
  backupHosts?: string[];
  port: number;
  /** Absent for plain TCP. */
  tls?: SessionTls;
  username?: string;
  password?: string;
  clientId: string;
  keepaliveS: number;
  /** `false` keeps a persistent session on the broker (jobs sent while offline arrive). */
  clean: boolean;
  reconnectMaxS: number;
  /** Subscribed at each connect, in order. */
  subscriptions: { topic: string; qos: 0 | 1 | 2 }[];
  /** The last will, made at each connect (its timestamp is the connect's). */
  will: { topic: string; payload: () => string };
  connectTimeoutMs?: number;
  /** 4 (MQTT 3.1.1, default), 5, or `auto`: 5, and 4 for a broker that refuses 5. */
  version?: 4 | 5 | "auto";
  /** MQTT 5: how long the broker keeps the session once the box is gone, seconds. */
  sessionExpiryS?: number;
}

export interface SessionDeps {
  /** After each successful connect and subscribe. */
  onConnect(): void;
  /**
   * The broker's copy is acknowledged when the returned promise settles (at most 10 s).
   * `properties` are MQTT 5's (empty with 3.1.1).
   */
  onMessage(topic: string, payload: Uint8Array, properties: Properties): void | Promise<void>;
}

/** How the session publishes a message. */
export interface SessionSend {
  /** 1 by default. */
  qos?: 0 | 1;
  retain?: boolean;
  /**
   * Names a message its sender may send again (a reply): a send lost unacknowledged with
   * its connection is sent again under its packet id, with DUP.
   */
  key?: string;
  /** MQTT 5: its properties (ignored with 3.1.1). */
  properties?: SentProperties;
}

export const MQTT_COUNTERS = [
  "mqtt-connects",
  "mqtt-disconnects",
  "mqtt-messages-in",
  "mqtt-messages-out",
  "mqtt-messages-oversize",
];

const STOP_GRACE_MS = 2000;
/** A stuck handler must not stall the session: the message is acknowledged after this. */
const HANDLER_MAX_MS = 10_000;
/** The longest a publish's `written` waits for the socket to take it. */
const FLUSH_MAX_MS = 50;
/**
 * The largest packet taken: a job is at most 132 KiB; a larger one is acknowledged and
 * dropped (`mqtt-messages-oversize`), or a persistent session would send it at every
 * connect.
 */
export const MAX_PACKET_BYTES = 256 * 1024;

/** Reconnects wait a full-jitter draw below a ceiling that doubles from 1 s. */
const RECONNECT_BASE_MS = 1000;

/**
 * The attempt number to retry with after an established session is lost: its ceiling is
 * `reconnect_max`. A broker restart drops the whole fleet at once, and a ceiling of 1 s
 * would bring every box back within the same second (the fleet drill saw 99 % of 200).
 */
export const AFTER_LOSS_ATTEMPT = 30;

/**
 * The delay before reconnect attempt `attempt` (0 for the first after a failed connect).
 *
 * ```ts
 * reconnectDelayMs(0, 60, () => 0.5); // 500
 * reconnectDelayMs(AFTER_LOSS_ATTEMPT, 60, () => 0.5); // 30000
 * ```
 */
export function reconnectDelayMs(
  attempt: number,
  reconnectMaxS: number,
  random: () => number = Math.random,
): number {
  return fullJitterDelay(
    attempt,
    { baseMs: RECONNECT_BASE_MS, maxMs: reconnectMaxS * 1000 },
    random,
  );
}

/** CONNACK codes (MQTT 3.1.1, then 5) that mean our credentials or identity were refused. */
const REFUSED_CREDENTIALS = new Set([4, 5, 0x86, 0x87]);

export class MqttSession {
  #connection: MqttConnection | undefined;
  #attempt = 0;
  #connectedSince: number | undefined;
  #lastError: string | undefined;
  /** One line per outage: the first failure is logged, the retries only at debug. */
  #failureLogged = false;
  #stop = new AbortController();
  /** Which of `host` and `backupHosts` the next connect goes to. */
  #hostIndex = 0;
  /** The protocol spoken: `auto` settles on 4 once a broker refuses 5. */
  #version: 4 | 5;
  /** MQTT 5: why the broker last refused a publish, for `mqtt-info`. */
  #lastRefusal: string | undefined;
  /** MQTT 5: the broker's largest packet (CONNACK), for what is sent to it. */
  #brokerMaxPacket: number | undefined;
  /** Whether this session subscribed once: a resumed broker session then keeps that. */
  #subscribed = false;
  /**
   * Publishes not acknowledged when their connection was lost, by the sender's key, with
   * their packet id: sent again under it, with DUP (MQTT-4.4.0-1), in a resumed session.
   */
  #unacked = new Map<string, number>();
  /** QoS 2 ids handled, awaiting PUBREL: the session's, across its connections. */
  #awaitingRelease = new Set<number>();

  constructor(
    private readonly options: SessionOptions,
    private readonly deps: SessionDeps,
    private readonly ctx: { log: Logger; counters: Counters; clock: Clock },
  ) {
    ctx.counters.declare(...MQTT_COUNTERS);
    this.#version = options.version === 4 || options.version === undefined ? 4 : 5;
  }

  /** The broker connected to, or tried next: `host:port`. */
  get broker(): string {
    return `${this.#host()}:${this.options.port}`;
  }

  #host(): string {
    const hosts = [this.options.host, ...this.options.backupHosts ?? []];
    return hosts[this.#hostIndex % hosts.length];
  }

  /** MQTT 5: the largest packet the broker takes, when it said (its CONNACK). */
  get brokerMaxPacket(): number | undefined {
    return this.#brokerMaxPacket;
  }

  /** Whether a connection is up and subscribed. */
  get connected(): boolean {
    return this.#connectedSince !== undefined && (this.#connection?.open ?? false);
  }

  /** Begins connecting in the background. */
  start(): Promise<void> {
    void this.#connect();
    return Promise.resolve();
  }

  /**
   * Publishes: `acked` on the broker's acknowledgement (QoS 1) or once written; `written`
   * when the bytes wait behind others (undefined when they went out within the call), at
   * most `FLUSH_MAX_MS`, so that a stalled link never holds whoever waits for it.
   */
  publish(
    topic: string,
    payload: string,
    { qos = 1, retain = false, key, properties }: SessionSend = {},
  ): Published {
    const connection = this.#connection;
    if (!connection || !this.connected) {
      const refused = Promise.reject(new Error("not connected to the broker"));
      return { acked: refused, written: undefined };
    }
    // `key` names a message its sender may send again (a reply): if an earlier send of it
    // was lost unacknowledged, this is that send again.
    const resend = key === undefined ? undefined : this.#unacked.get(key);
    const published = connection.publish(topic, payload, { qos, retain, resend, properties });
    if (key !== undefined && published.id !== undefined) this.#unacked.set(key, published.id);
    const written = published.written;
    return {
      acked: published.acked.then(() => {
        if (key !== undefined) this.#unacked.delete(key);
        this.ctx.counters.inc("mqtt-messages-out");
      }, (error) => {
        // MQTT 5: the broker answered, with a refusal: nothing to send again under the id.
        if (error instanceof PublishRefused) {
          if (key !== undefined) this.#unacked.delete(key);
          this.#lastRefusal = error.message;
        }
        throw error;
      }),
      written: written && settlesWithin(this.ctx.clock, FLUSH_MAX_MS, written).then(() => {}),
    };
  }

  /** Sends a graceful DISCONNECT (the broker then drops the will) and stops reconnecting. */
  async stop(): Promise<void> {
    this.#stop.abort(new Error("session stopped"));
    const connection = this.#connection;
    this.#connection = undefined;
    if (!connection) return;
    // Not connected yet: drop the attempt, or it would connect after we stopped and take
    // the session (same client id) from our successor.
    const graceful = this.#connectedSince !== undefined &&
      await settlesWithin(this.ctx.clock, STOP_GRACE_MS, connection.disconnect());
    if (!graceful) connection.close(new Error("session stopped"));
  }

  /** The broker, the client id and the state of the connection, for `mqtt-info`. */
  info(): Record<string, unknown> {
    return {
      broker: this.broker,
      "mqtt-version": this.#version === 5 ? "5" : "3.1.1",
      tls: this.options.tls !== undefined,
      "client-id": this.options.clientId,
      connected: this.connected,
      "connected-since": this.#connectedSince === undefined
        ? null
        : new Date(this.#connectedSince).toISOString(),
      "last-error": this.#lastError ?? null,
      ...(this.#version === 5 ? { "last-refusal": this.#lastRefusal ?? null } : {}),
    };
  }

  /** One attempt: socket, CONNECT, SUBSCRIBE; any failure schedules the next one. */
  async #connect(): Promise<void> {
    if (this.#stop.signal.aborted) return;
    const { options, ctx } = this;
    const timeoutMs = options.connectTimeoutMs ?? 15_000;
    let connection: MqttConnection | undefined;
    let resumed = false;
    try {
      const stream = await openSocket({
        host: this.#host(),
        port: options.port,
        tls: options.tls,
        timeoutMs,
        signal: this.#stop.signal,
        clock: ctx.clock,
      });
      connection = new MqttConnection(stream, {
        clock: ctx.clock,
        keepaliveS: options.keepaliveS,
        maxPacketBytes: MAX_PACKET_BYTES,
        awaitingRelease: this.#awaitingRelease,
        reservedIds: () => this.#unacked.values(),
        version: this.#version,
      }, {
        onMessage: (topic, payload, properties) => this.#onMessage(topic, payload, properties),
        onOversize: ({ topic, bytes }) => {
          ctx.counters.inc("mqtt-messages-oversize");
          ctx.log.warn("message too large, dropped", { topic: redactTopic(topic), bytes });
        },
        onClose: (reason) => this.#onLost(connection!, reason),
      });
      if (this.#stop.signal.aborted) return void connection.close(new Error("session stopped"));
      this.#connection = connection;
      const { sessionPresent, properties } = await connection.handshake({
        clientId: options.clientId,
        clean: options.clean,
        keepaliveS: options.keepaliveS,
        username: options.username,
        password: options.password,
        // Not retained: every status message is an event with its own timestamp, as
        // SocketMan's.
        will: { topic: options.will.topic, payload: options.will.payload(), qos: 1, retain: false },
        sessionExpiryS: options.sessionExpiryS,
        maximumPacketSize: MAX_PACKET_BYTES,
      }, timeoutMs);
      this.#brokerMaxPacket = properties.maximumPacketSize;
      // A kept session keeps its subscriptions: subscribing again would make the broker send
      // a retained job again (MQTT-3.8.4-3), a DUPLICATE at every reconnect. This session's
      // first connect subscribes all the same: a new start may have new topics.
      resumed = sessionPresent && !options.clean && this.#subscribed;
      // A new session on the broker: the ids it had sent are over.
      if (!sessionPresent) {
        this.#awaitingRelease.clear();
        this.#unacked.clear();
      }
      const subscriptions = resumed ? [] : options.subscriptions;
      for (const { topic, qos } of subscriptions) {
        const granted = await deadline(ctx.clock, timeoutMs, connection.subscribe(topic, qos));
        if (granted === TIMED_OUT) {
          throw connection.close(new Error(`no SUBACK within ${timeoutMs} ms`));
        }
        // 0x80 and up refuse it (3.1.1: 0x80 alone; 5 says why, an ACL's "not authorized").
        if (granted >= 0x80) {
          const why = this.#version === 5 ? ` (${reasonOf(granted)})` : "";
          throw connection.close(
            new Error(`subscription refused by broker: ${redactTopic(topic)}${why}`),
          );
        }
      }
    } catch (error) {
      const reason = error instanceof Error ? error : new Error(String(error));
      // Closing reports the loss (once: a connection that closed itself has reported).
      if (connection) connection.close(reason);
      else this.#onLost(undefined, reason);
      return;
    }
    if (this.#connection !== connection || !connection.open) return;
    this.#subscribed = true;
    this.#attempt = 0;
    this.#failureLogged = false;
    this.#lastError = undefined;
    this.#connectedSince = ctx.clock.now();
    ctx.counters.inc("mqtt-connects");
    ctx.log.info("connected to broker", {
      broker: this.broker,
      "client-id": options.clientId,
      subscribed: options.subscriptions.map((s) => redactTopic(s.topic)).join(","),
      ...(resumed ? { session: "resumed" } : {}),
    });
    this.deps.onConnect();
  }

  /**
   * A message, acknowledged to the broker once its handler is done: after the handler has
   * taken it (a job journaled), so a crash in between gets it re-delivered, not lost.
   */
  #onMessage(topic: string, payload: Uint8Array, properties: Properties): Promise<void> {
    const { ctx } = this;
    ctx.counters.inc("mqtt-messages-in");
    // The handler at once (a job's journal write starts in it), the stuck-handler timer after.
    const handled = Promise.try(() => this.deps.onMessage(topic, payload, properties))
      .catch((error) => {
        // Whatever a message does to its handler, the session goes on.
        ctx.log.error("message handler failed", { topic: redactTopic(topic), error });
      });
    return settlesWithin(ctx.clock, HANDLER_MAX_MS, handled).then(() => {});
  }

  /** The connection is gone (or never came): say so once, and try again after a backoff. */
  #onLost(connection: MqttConnection | undefined, reason: Error): void {
    if (connection && this.#connection !== connection) return; // an old one, or stopped
    this.#connection = undefined;
    const { ctx } = this;
    if (this.#stop.signal.aborted) return; // our own stop: nothing to report or retry
    const fellBack = this.#noteError(reason);
    // A broker that could not be reached: the next one in turn (a lost session retries its own).
    const next = this.#connectedSince === undefined && !fellBack;
    if (this.#connectedSince !== undefined) {
      this.#connectedSince = undefined;
      this.#attempt = AFTER_LOSS_ATTEMPT;
      ctx.counters.inc("mqtt-disconnects");
      ctx.log.warn("disconnected from broker", { error: this.#lastError });
    } else if (!this.#failureLogged) {
      this.#failureLogged = true;
      ctx.log.warn("cannot connect to broker, retrying", {
        broker: this.broker,
        error: this.#lastError,
      });
    }
    if (next) this.#hostIndex++;
    this.#scheduleReconnect();
  }

  /** Notes why; true when `auto` fell back to 3.1.1 (the same broker is tried again). */
  #noteError(error: Error): boolean {
    this.#lastError = error.message;
    // `auto`: a broker that does not speak 5 refuses the protocol level (3.1.1's code 1,
    // MQTT 5's 0x84); the session speaks 3.1.1 to it from now on, and retries at once.
    if (
      error instanceof ConnackRefused && (error.code === 1 || error.code === 0x84) &&
      this.options.version === "auto" && this.#version === 5
    ) {
      this.#version = 4;
      this.#attempt = 0;
      this.ctx.log.info("the broker does not speak MQTT 5: using 3.1.1");
      return true;
    }
    if (error instanceof ConnackRefused && REFUSED_CREDENTIALS.has(error.code)) {
      this.#lastError = "broker refused credentials";
      if (!this.#failureLogged) {
        this.#failureLogged = true;
        this.ctx.log.error("broker refused credentials", {
          broker: this.broker,
          username: this.options.username,
          reason: error.message,
        });
      }
    }
    return false;
  }

  #scheduleReconnect(): void {
    if (this.#stop.signal.aborted) return;
    const delay = reconnectDelayMs(this.#attempt++, this.options.reconnectMaxS);
    this.ctx.log.debug("reconnecting", { "in-ms": delay, error: this.#lastError });
    this.ctx.clock.sleep(delay, this.#stop.signal).then(() => this.#connect(), () => {});
  }
}
