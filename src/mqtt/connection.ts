/**
 * One MQTT 3.1.1 connection over a byte stream: the CONNECT handshake, the subscription,
 * publishes with their acknowledgements, messages in, and keepalive. Writes go out one
 * after the other, in order; a publish says whether its bytes wait behind others.
 * The first failure of any kind closes it, once, with the reason; the session then connects
 * again with a new one.
 */
import type { Clock } from "../io/mod.ts";
import { deadline, TIMED_OUT } from "../io/mod.ts";
import {
  type ConnectOptions,
  DISCONNECT,
  encodeAck,
  encodeConnect,
  encodePublish,
  encodeSubscribe,
  type Oversize,
  type Packet,
  PacketReader,
  PINGREQ,
  ProtocolError,
  type Version,
} from "./packet.ts";
import { type Properties, reasonOf, REASONS, type SentProperties } from "./properties.ts";

/** MQTT 5: the broker refused a publish (PUBACK reason code from 0x80). */
export class PublishRefused extends Error {
  constructor(readonly reason: number, why: string) {
    super(`publish refused by the broker: ${why}`);
  }
}

/** The part of a Deno.Conn a connection uses; tests pass a fake. */
export interface ByteStream {
  read(buffer: Uint8Array): Promise<number | null>;
  write(data: Uint8Array): Promise<number>;
  close(): void;
}

/** The broker refused the CONNECT with this return code (4, 5: credentials, identity). */
export class ConnackRefused extends Error {
  /** The CONNACK return code (MQTT 5: its reason code, 0x80 and up). */
  constructor(readonly code: number, reasonString?: string) {
    const why = CONNACK_REASONS[code] ?? REASONS[code] ?? `code ${code}`;
    super(`connection refused by the broker: ${why}${reasonString ? ` (${reasonString})` : ""}`);
  }
}

const CONNACK_REASONS: Record<number, string> = {
  1: "unacceptable protocol version",
  2: "client identifier rejected",
  3: "server unavailable",
  4: "bad user name or password",
  5: "not authorized",
};

/** What a connection tells its session. */
export interface ConnectionDeps {
  /**
   * A message (with MQTT 5's properties, empty with 3.1.1): acknowledged to the broker once
   * the returned promise resolves; never rejects.
   */
  onMessage(topic: string, payload: Uint8Array, properties: Properties): Promise<void>;
  /** A message too large to take: acknowledged (it cannot be taken later either). */
  onOversize(packet: Oversize): void;
  /** Closed: by `close()`, a failure, or the broker. Called once. */
  onClose(reason: Error): void;
}

export interface ConnectionOptions {
  clock: Clock;
  keepaliveS: number;
  /** The largest packet taken; a larger PUBLISH is skipped and reported. */
  maxPacketBytes: number;
  /**
   * QoS 2 packet ids handled and awaiting the broker's PUBREL: kept by the session across
   * its connections, so a PUBLISH sent again before its PUBREL is not handled twice
   * (MQTT-4.3.3-2).
   */
  awaitingRelease?: Set<number>;
  /** Packet ids the session keeps for publishes to re-send: never given to new ones. */
  reservedIds?: () => Iterable<number>;
  /** The protocol: 4 (MQTT 3.1.1, default) or 5. */
  version?: Version;
}

const READ_CHUNK = 16 * 1024;

/** A PUBLISH on its way: its acknowledgement, and (when it waits) its write. */
export interface Published {
  /** The broker's PUBACK (QoS 1), or the write (QoS 0); rejects when the connection fails. */
  acked: Promise<void>;
  /** Undefined when it was handed to the socket within the call; else when it is. */
  written: Promise<void> | undefined;
}

/** How a message is published. */
export interface SendOptions {
  qos: 0 | 1;
  retain?: boolean;
  /** The packet id of an unacknowledged send of the same message: sent again under it, DUP. */
  resend?: number;
  /** MQTT 5: its properties (ignored with 3.1.1). */
  properties?: SentProperties;
}

export class MqttConnection {
  readonly #stream: ByteStream;
  readonly #options: ConnectionOptions;
  readonly #deps: ConnectionDeps;
  readonly #reader: PacketReader;
  /** Every write, in order. */
  #writes: Promise<void> = Promise.resolve();
  /** Writes not done yet. */
  #unwritten = 0;
  /** Messages are handled one at a time, in the order they came. */
  #inbox: Promise<void> = Promise.resolve();
  /** Answers awaited, by `type:id`: rejected with the reason when the connection closes. */
  #waiting = new Map<string, PromiseWithResolvers<Packet>>();
  #nextId = 1;
  #lastSent: number;
  #lastReceived: number;
  #closed: Error | undefined;
  #connacked = false;
  #keepaliveS: number;
  /** QoS 1 publishes written and not acknowledged, and the broker's limit on them. */
  #inFlight = 0;
  #sendQuota = Infinity;
  #slotWaiters: PromiseWithResolvers<void>[] = [];
  readonly #awaitingRelease: Set<number>;
  #stopKeepalive = new AbortController();

  constructor(stream: ByteStream, options: ConnectionOptions, deps: ConnectionDeps) {
    this.#stream = stream;
    this.#options = options;
    this.#deps = deps;
    this.#reader = new PacketReader(options.maxPacketBytes, options.version ?? 4);
    this.#awaitingRelease = options.awaitingRelease ?? new Set();
    this.#lastSent = this.#lastReceived = options.clock.monotonic();
    this.#keepaliveS = options.keepaliveS;
  }

  /** Whether it is still open. */
  get open(): boolean {
    return this.#closed === undefined;
  }

  /** Sends CONNECT and waits for the CONNACK; throws `ConnackRefused` or on a timeout. */
  async handshake(
    connect: ConnectOptions,
    timeoutMs: number,
  ): Promise<{ sessionPresent: boolean; properties: Properties }> {
    void this.#readLoop();
    const connack = this.#expect("connack");
    const version = this.#options.version ?? 4;
    // A failed write closes: connack rejects.
    this.#write(encodeConnect({ ...connect, version })).catch(() => {});
    const answer = await deadline(this.#options.clock, timeoutMs, connack);
    if (answer === TIMED_OUT) throw this.close(new Error("no CONNACK in time"));
    if (answer.type !== "connack") throw this.close(new ProtocolError("no CONNACK"));
    const properties = answer.properties ?? {};
    if (answer.code !== 0) {
      throw this.close(new ConnackRefused(answer.code, properties.reasonString));
    }
    // MQTT 5: the broker may set the keepalive (MQTT-3.2.2-21) and its Receive Maximum.
    this.#keepaliveS = properties.serverKeepAlive ?? connect.keepaliveS;
    this.#sendQuota = properties.receiveMaximum ?? Infinity;
    void this.#keepalive();
    return { sessionPresent: answer.sessionPresent, properties };
  }

  /** Subscribes to one filter; resolves with the QoS the broker granted (128: refused). */
  async subscribe(filter: string, qos: 0 | 1 | 2): Promise<number> {
    const id = this.#takeId();
    const [answer] = await Promise.all([
      this.#expect(`suback:${id}`),
      this.#write(encodeSubscribe(id, filter, qos, this.#options.version)),
    ]);
    return answer.type === "suback" ? answer.granted[0] : 128;
  }

  /**
   * Publishes. `acked` resolves on the PUBACK (QoS 1) or once written (QoS 0); `written`
   * is undefined when the bytes went to the socket within this call (an idle connection:
   * Deno's TCP and TLS sockets take them at once, measured: they arrive while the caller's
   * loop is blocked), else it resolves once they have gone behind the writes before them.
   */
  publish(
    topic: string,
    payload: string,
    { qos, retain, resend, properties }: SendOptions,
  ): Published & { id?: number } {
    const queued = this.#unwritten > 0;
    const version = this.#options.version;
    if (qos === 0) {
      const write = this.#write(
        encodePublish(topic, payload, 0, undefined, { retain, version, properties }),
      );
      return { acked: write, written: queued ? write.catch(() => {}) : undefined };
    }
    // A re-send keeps its first id and says DUP (MQTT-4.4.0-1); a new one takes a free id.
    const id = resend !== undefined && !this.#waiting.has(`puback:${resend}`)
      ? resend
      : this.#takeId();
    const ack = this.#expect(`puback:${id}`);
    const packet = encodePublish(topic, payload, 1, id, {
      retain,
      dup: id === resend,
      version,
      properties,
    });
    // MQTT 5: no more unacknowledged than the broker's Receive Maximum (MQTT-4.9.0-2); the
    // rest wait for a PUBACK. (3.1.1 sets no limit.)
    let counted = false;
    const send = () => {
      counted = true;
      this.#inFlight++;
      return this.#write(packet);
    };
    const deferred = this.#inFlight >= this.#sendQuota;
    const write = deferred ? this.#slot().then(send) : send();
    ack.then(() => {}, () => {}).finally(() => counted && this.#release());
    return {
      id,
      acked: Promise.all([ack, write]).then(() => {}),
      written: queued || deferred ? write.catch(() => {}) : undefined,
    };
  }

  /** Resolves when fewer than the broker's Receive Maximum publishes are unacknowledged. */
  #slot(): Promise<void> {
    if (this.#closed) return Promise.reject(this.#closed);
    const slot = Promise.withResolvers<void>();
    this.#slotWaiters.push(slot);
    return slot.promise;
  }

  #release(): void {
    this.#inFlight--;
    this.#slotWaiters.shift()?.resolve();
  }

  /** A DISCONNECT (the broker then drops the will), then closed. */
  async disconnect(): Promise<void> {
    await this.#write(DISCONNECT).catch(() => {});
    this.close(new Error("disconnected"));
  }

  /** Closes at once; returns the reason, so that a caller can throw it. */
  close(reason: Error): Error {
    if (this.#closed) return reason;
    this.#closed = reason;
    this.#stopKeepalive.abort();
    try {
      this.#stream.close();
    } catch { /* closed already */ }
    for (const waiting of this.#waiting.values()) waiting.reject(reason);
    this.#waiting.clear();
    for (const slot of this.#slotWaiters.splice(0)) slot.reject(reason);
    this.#deps.onClose(reason);
    return reason;
  }

  /** The packet that will answer `key`; rejects when the connection closes first. */
  #expect(key: string): Promise<Packet> {
    if (this.#closed) return Promise.reject(this.#closed);
    const waiting = Promise.withResolvers<Packet>();
    this.#waiting.set(key, waiting);
    return waiting.promise;
  }

  /** Hands `packet` to whoever waits for `key`; an answer nobody asked for is dropped. */
  #answered(key: string, packet: Packet): void {
    this.#waiting.get(key)?.resolve(packet);
    this.#waiting.delete(key);
  }

  #takeId(): number {
    const reserved = new Set(this.#options.reservedIds?.() ?? []);
    for (;;) {
      const id = this.#nextId;
      this.#nextId = id === 0xffff ? 1 : id + 1;
      if (reserved.has(id)) continue;
      if (!this.#waiting.has(`puback:${id}`) && !this.#waiting.has(`suback:${id}`)) return id;
    }
  }

  /**
   * Writes after the writes before it; with none on its way, at once: a reply then leaves
   * before whatever else the caller does in the same turn of the event loop (a log line).
   */
  #write(data: Uint8Array): Promise<void> {
    const send = async () => {
      if (this.#closed) throw this.#closed;
      for (let written = 0; written < data.length;) {
        written += await this.#stream.write(data.subarray(written));
      }
      this.#lastSent = this.#options.clock.monotonic();
    };
    const behind = () => this.#writes.then(send);
    const write = (this.#unwritten++ === 0 ? send() : behind()).finally(() => this.#unwritten--);
    this.#writes = write.catch((error) => {
      this.close(error instanceof Error ? error : new Error(String(error)));
    });
    return write;
  }

  async #readLoop(): Promise<void> {
    const buffer = new Uint8Array(READ_CHUNK);
    try {
      for (;;) {
        const n = await this.#stream.read(buffer);
        if (n === null) throw new Error("connection closed by the broker");
        this.#lastReceived = this.#options.clock.monotonic();
        for (const packet of this.#reader.push(buffer.subarray(0, n))) this.#dispatch(packet);
      }
    } catch (error) {
      this.close(error instanceof Error ? error : new Error(String(error)));
    }
  }

  #dispatch(packet: Packet | Oversize): void {
    // MQTT-3.2.0-1: the CONNACK comes first, and once; anything else breaks the protocol.
    if ((packet.type === "connack") === this.#connacked) {
      const what = packet.type === "connack" ? "a second CONNACK" : `${packet.type} before CONNACK`;
      this.close(new ProtocolError(what));
      return;
    }
    switch (packet.type) {
      case "connack":
        this.#connacked = true;
        this.#answered("connack", packet);
        // The broker closes right after a refusal: the refusal, not the close, is the reason.
        if (packet.code !== 0) this.close(new ConnackRefused(packet.code));
        return;
      case "suback":
        return this.#answered(`suback:${packet.id}`, packet);
      case "puback":
        // MQTT 5: a reason code from 0x80 is a refusal (not authorized, quota, too large).
        if ((packet.reason ?? 0) >= 0x80) {
          const waiting = this.#waiting.get(`puback:${packet.id}`);
          this.#waiting.delete(`puback:${packet.id}`);
          const why = reasonOf(packet.reason!);
          return void waiting?.reject(new PublishRefused(packet.reason!, why));
        }
        return this.#answered(`puback:${packet.id}`, packet);
      case "disconnect": {
        const why = reasonOf(packet.reason);
        const said = packet.properties?.reasonString;
        return void this.close(
          new Error(`the broker disconnected: ${why}${said ? ` (${said})` : ""}`),
        );
      }
      case "publish":
        return this.#receive(packet);
      case "oversize":
        this.#deps.onOversize(packet);
        return this.#acknowledge(packet.qos, packet.id);
      case "pubrel":
        // The broker's second step of QoS 2: answered whether we know the id or not.
        this.#awaitingRelease.delete(packet.id);
        return void this.#write(encodeAck("pubcomp", packet.id)).catch(() => {});
      case "pubrec":
      case "pubcomp":
      case "unsuback":
      case "pingresp":
        return; // nothing waits: any packet in shows the link is alive
    }
  }

  /**
   * Handles messages in order; each is acknowledged once its handler is done. A QoS 2
   * message handled already and not released yet is only acknowledged again.
   */
  #receive(packet: Extract<Packet, { type: "publish" }>): void {
    this.#inbox = this.#inbox.then(async () => {
      if (this.#closed) return; // not acknowledged: the broker sends it again
      if (packet.qos === 2) {
        if (this.#awaitingRelease.has(packet.id!)) return this.#acknowledge(2, packet.id);
        this.#awaitingRelease.add(packet.id!);
      }
      await this.#deps.onMessage(packet.topic, packet.payload, packet.properties ?? {});
      this.#acknowledge(packet.qos, packet.id);
    });
  }

  #acknowledge(qos: 0 | 1 | 2, id: number | undefined): void {
    if (qos === 0 || id === undefined) return;
    void this.#write(encodeAck(qos === 1 ? "puback" : "pubrec", id)).catch(() => {});
  }

  /**
   * A PINGREQ when nothing was sent for half the keepalive; closed when nothing came for
   * one and a half (the broker answers a ping at once).
   */
  async #keepalive(): Promise<void> {
    const { clock } = this.#options;
    const keepaliveS = this.#keepaliveS;
    if (keepaliveS === 0) return;
    const half = keepaliveS * 500;
    try {
      while (!this.#closed) {
        await clock.sleep(half, this.#stopKeepalive.signal);
        const now = clock.monotonic();
        if (now - this.#lastReceived > 3 * half) {
          this.close(new Error(`no packet from the broker for ${keepaliveS * 1.5} s`));
        } else if (now - this.#lastSent >= half) {
          void this.#write(PINGREQ).catch(() => {});
        }
      }
    } catch { /* stopped */ }
  }
}
