/**
 * One MQTT session that never gives up: mqtt.js's own reconnect is off (`reconnectPeriod:
 * 0`); after any loss, including a broker unreachable at boot, a fresh client connects
 * again after a backoff with full jitter. Publishing never waits for a connection: while
 * offline it rejects at once, and the reply channel keeps the message.
 */
import { connect as netConnect, isIP } from "node:net";
import { connect as tlsConnect } from "node:tls";
import type { IClientOptions, IStream, MqttClient } from "mqtt";
import { loadMqtt } from "./_load_mqtt.ts";
import { fullJitterDelay } from "../backoff.ts";
import { type Clock, settlesWithin } from "../io/mod.ts";
import type { Counters } from "../counters.ts";
import type { Logger } from "../log/mod.ts";
import { redactTopic } from "./topics.ts";

export interface SessionTls {
  /**
   * CA PEM; absent means Deno's root store (the OS's with DENO_TLS_CA_STORE=system).
   * Broker verification is never turned off.
   */
  ca?: string;
  cert?: string;
  key?: string;
}

export interface SessionOptions {
  host: string;
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
  subscription: { topic: string; qos: 0 | 1 | 2 };
  /** The last will, made at each connect (its timestamp is the connect's). */
  will: { topic: string; payload: () => string };
  connectTimeoutMs?: number;
}

export interface SessionEvents {
  /** After each successful connect and subscribe. */
  onConnect(): void;
  /** The broker's copy is acknowledged when the returned promise settles (at most 10 s). */
  onMessage(topic: string, payload: Uint8Array): void | Promise<void>;
}

export const MQTT_COUNTERS = [
  "mqtt-connects",
  "mqtt-disconnects",
  "mqtt-messages-in",
  "mqtt-messages-out",
];

const STOP_GRACE_MS = 2000;
/** A stuck handler must not stall the session: the message is acknowledged after this. */
const HANDLER_MAX_MS = 10_000;

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

/** CONNACK codes (MQTT 3.1.1) that mean our credentials or identity were refused. */
const REFUSED_CREDENTIALS = new Set([4, 5]);

export class MqttSession {
  #Client: typeof MqttClient | undefined;
  #client: MqttClient | undefined;
  #attempt = 0;
  #connectedSince: number | undefined;
  #lastError: string | undefined;
  /** One line per outage: the first failure is logged, the retries only at debug. */
  #failureLogged = false;
  #stop = new AbortController();
  /** Publishes waiting for their PUBACK; rejected when the connection goes. */
  #inFlight = new Set<(error: Error) => void>();

  constructor(
    private readonly options: SessionOptions,
    private readonly events: SessionEvents,
    private readonly deps: { log: Logger; counters: Counters; clock: Clock },
  ) {
    deps.counters.declare(...MQTT_COUNTERS);
  }

  get connected(): boolean {
    return this.#client?.connected ?? false;
  }

  /** Begins connecting in the background; resolves once mqtt.js is loaded. */
  async start(): Promise<void> {
    this.#Client = (await loadMqtt()).MqttClient;
    this.#connect();
  }

  /** Publishes and resolves on the broker's acknowledgement (QoS > 0) or once written. */
  publish(topic: string, payload: string, qos: 0 | 1 | 2 = 1): Promise<void> {
    const client = this.#client;
    if (!client?.connected) return Promise.reject(new Error("not connected to the broker"));
    return new Promise((resolve, reject) => {
      const fail = (error: Error) => {
        this.#inFlight.delete(fail);
        reject(error);
      };
      this.#inFlight.add(fail);
      client.publish(topic, payload, { qos }, (error) => {
        if (!this.#inFlight.delete(fail)) return;
        if (error) return reject(error);
        this.deps.counters.inc("mqtt-messages-out");
        resolve();
      });
    });
  }

  /** Sends a graceful DISCONNECT (the broker then drops the will) and stops reconnecting. */
  async stop(): Promise<void> {
    this.#stop.abort(new Error("session stopped"));
    const client = this.#client;
    this.#client = undefined;
    if (!client) return;
    // Not connected yet: drop the attempt, or it would connect after we stopped and take
    // the session (same client id) from our successor.
    const graceful = client.connected &&
      await settlesWithin(this.deps.clock, STOP_GRACE_MS, client.endAsync(false));
    if (!graceful) await client.endAsync(true).catch(() => {});
    this.#failInFlight(new Error("session stopped"));
  }

  info(): Record<string, unknown> {
    return {
      broker: `${this.options.host}:${this.options.port}`,
      tls: this.options.tls !== undefined,
      "client-id": this.options.clientId,
      connected: this.connected,
      "connected-since": this.#connectedSince === undefined
        ? null
        : new Date(this.#connectedSince).toISOString(),
      "last-error": this.#lastError ?? null,
    };
  }

  #connect(): void {
    const Client = this.#Client;
    if (this.#stop.signal.aborted || !Client) return;
    const client = new Client(() => this.#openSocket(), this.#clientOptions());
    this.#client = client;
    let lost = false;
    const onLost = () => {
      if (lost) return;
      lost = true;
      this.#onLost(client);
    };
    client.on("connect", () => void this.#onConnect(client));
    client.handleMessage = (packet, done) => this.#onMessage(packet, done);
    client.on("error", (error) => this.#onError(error));
    client.on("close", onLost);
    client.on("end", onLost);
  }

  #clientOptions(): IClientOptions {
    const { options } = this;
    return {
      clientId: options.clientId,
      clean: options.clean,
      keepalive: options.keepaliveS,
      reconnectPeriod: 0,
      connectTimeout: options.connectTimeoutMs ?? 15_000,
      resubscribe: false,
      username: options.username,
      password: options.password,
      // Not retained: every status message is an event with its own timestamp, as SocketMan's.
      will: { topic: options.will.topic, payload: options.will.payload(), qos: 1, retain: false },
    };
  }

  /**
   * mqtt.js acknowledges (PUBACK) once `done` is called: after the handler has taken the
   * message (a job journaled), so a crash in between gets it re-delivered, not lost.
   */
  #onMessage(packet: { topic: string; payload: Uint8Array | string }, done: () => void): void {
    const { deps } = this;
    deps.counters.inc("mqtt-messages-in");
    const payload = typeof packet.payload === "string"
      ? new TextEncoder().encode(packet.payload)
      : packet.payload;
    const handled = Promise.resolve()
      .then(() => this.events.onMessage(packet.topic, payload))
      .catch((error) => {
        // Whatever a message does to its handler, the session goes on.
        deps.log.error("message handler failed", { topic: redactTopic(packet.topic), error });
      });
    settlesWithin(deps.clock, HANDLER_MAX_MS, handled).then(() => done());
  }

  /** The connection is gone (or never came): say so once, and try again after a backoff. */
  #onLost(client: MqttClient): void {
    const { options, deps } = this;
    client.removeAllListeners();
    client.on("error", () => {});
    client.end(true);
    this.#failInFlight(new Error("connection to the broker lost"));
    if (this.#stop.signal.aborted) return; // our own stop: nothing to report or retry
    if (this.#connectedSince !== undefined) {
      this.#connectedSince = undefined;
      this.#attempt = AFTER_LOSS_ATTEMPT;
      deps.counters.inc("mqtt-disconnects");
      deps.log.warn("disconnected from broker", { error: this.#lastError });
    } else if (!this.#failureLogged) {
      this.#failureLogged = true;
      deps.log.warn("cannot connect to broker, retrying", {
        broker: `${options.host}:${options.port}`,
        error: this.#lastError,
      });
    }
    this.#scheduleReconnect();
  }

  #openSocket(): IStream {
    const { host, port, tls } = this.options;
    const socket = tls
      ? tlsConnect({
        host,
        port,
        // SNI takes names only; an address is checked against the certificate's IP SAN.
        servername: isIP(host) ? undefined : host,
        ca: tls.ca,
        cert: tls.cert,
        key: tls.key,
        rejectUnauthorized: true,
      })
      : netConnect({ host, port });
    // One small publish must not wait for Nagle + delayed ACK (~40 ms on loopback).
    socket.setNoDelay(true);
    return socket as unknown as IStream;
  }

  async #onConnect(client: MqttClient): Promise<void> {
    if (this.#client !== client) return void client.end(true); // stopped meanwhile
    const { subscription } = this.options;
    try {
      const granted = await client.subscribeAsync(subscription.topic, { qos: subscription.qos });
      if (granted.some((g) => g.qos === 128)) throw new Error("subscription refused by broker");
    } catch (error) {
      this.#onError(error instanceof Error ? error : new Error(String(error)));
      client.end(true);
      return;
    }
    if (this.#client !== client) return void client.end(true);
    this.#attempt = 0;
    this.#failureLogged = false;
    this.#lastError = undefined;
    this.#connectedSince = this.deps.clock.now();
    this.deps.counters.inc("mqtt-connects");
    this.deps.log.info("connected to broker", {
      broker: `${this.options.host}:${this.options.port}`,
      "client-id": this.options.clientId,
      subscribed: redactTopic(subscription.topic),
    });
    this.events.onConnect();
  }

  #onError(error: Error & { code?: unknown }): void {
    this.#lastError = error.message;
    if (typeof error.code === "number" && REFUSED_CREDENTIALS.has(error.code)) {
      this.#lastError = "broker refused credentials";
      if (!this.#failureLogged) {
        this.#failureLogged = true;
        this.deps.log.error("broker refused credentials", {
          broker: `${this.options.host}:${this.options.port}`,
          username: this.options.username,
          reason: error.message,
        });
      }
    }
  }

  #scheduleReconnect(): void {
    if (this.#stop.signal.aborted) return;
    const delay = reconnectDelayMs(this.#attempt++, this.options.reconnectMaxS);
    this.deps.log.debug("reconnecting", { "in-ms": delay, error: this.#lastError });
    this.deps.clock.sleep(delay, this.#stop.signal).then(() => this.#connect(), () => {});
  }

  #failInFlight(error: Error): void {
    for (const fail of [...this.#inFlight]) fail(error);
  }
}
