/**
 * MQTT 3.1.1 and 5 packets, as a client writes and reads them: pure encoding and a
 * streaming decoder, no I/O; MQTT 5's properties are in properties.ts. Only what one
 * agent's session uses is here: CONNECT with a will,
 * SUBSCRIBE to one filter, PUBLISH at QoS 0–2 both ways, their acknowledgements, PINGREQ
 * and DISCONNECT. A packet that breaks the protocol is a `ProtocolError`: the session drops
 * the connection and connects again.
 */
import { concatBytes } from "../io/mod.ts";
import {
  encodeProperties,
  field,
  type Properties,
  PropertyError,
  readProperties,
  type SentProperties,
  varint,
} from "./properties.ts";

/** The protocol level: 4 is MQTT 3.1.1 (SocketMan's), 5 is MQTT 5. */
export type Version = 4 | 5;

/** Broke the protocol: the connection cannot go on. */
export class ProtocolError extends Error {}

/** What a client receives from a broker. */
export type Packet =
  | { type: "connack"; sessionPresent: boolean; code: number; properties?: Properties }
  | {
    type: "publish";
    topic: string;
    payload: Uint8Array;
    qos: 0 | 1 | 2;
    dup: boolean;
    id?: number;
    properties?: Properties;
  }
  | {
    type: "puback" | "pubrec" | "pubrel" | "pubcomp" | "unsuback";
    id: number;
    /** MQTT 5: the reason code (0 when the packet leaves it out: success). */
    reason?: number;
  }
  | { type: "suback"; id: number; granted: number[] }
  | { type: "pingresp" }
  | { type: "disconnect"; reason: number; properties?: Properties };

const TYPE = {
  connect: 1,
  connack: 2,
  publish: 3,
  puback: 4,
  pubrec: 5,
  pubrel: 6,
  pubcomp: 7,
  subscribe: 8,
  suback: 9,
  unsuback: 11,
  pingreq: 12,
  pingresp: 13,
  disconnect: 14,
  auth: 15,
} as const;

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });
/** The largest remaining length the 4-byte varint can say (256 MiB). */
const MAX_REMAINING = 268_435_455;

function u16(value: number): Uint8Array {
  return new Uint8Array([value >> 8, value & 0xff]);
}

function remainingLength(length: number): Uint8Array {
  if (length > MAX_REMAINING) throw new RangeError("an MQTT packet is at most 256 MiB");
  return varint(length);
}

function packet(first: number, parts: Uint8Array[]): Uint8Array {
  const body = concatBytes(parts);
  return concatBytes([new Uint8Array([first]), remainingLength(body.length), body]);
}

export interface ConnectOptions {
  clientId: string;
  /** `false`: the broker keeps the session (subscription, queued messages) across connects. */
  clean: boolean;
  keepaliveS: number;
  username?: string;
  password?: string;
  /** Published by the broker when the connection ends without a DISCONNECT. */
  will?: { topic: string; payload: string; qos: 0 | 1 | 2; retain: boolean };
  /** 4 (MQTT 3.1.1, the default) or 5. */
  version?: Version;
  /** MQTT 5: how long the broker keeps the session after the connection ends, seconds. */
  sessionExpiryS?: number;
  /** MQTT 5: the QoS 1 and 2 messages the broker may have in flight to us. */
  receiveMaximum?: number;
  /** MQTT 5: the largest packet we take; the broker does not send a larger one. */
  maximumPacketSize?: number;
}

/** CONNECT, protocol level 4 (MQTT 3.1.1) or 5 with its properties. */
export function encodeConnect(options: ConnectOptions): Uint8Array {
  const { will, username, password } = options;
  const version = options.version ?? 4;
  let flags = options.clean ? 0x02 : 0;
  if (will) flags |= 0x04 | (will.qos << 3) | (will.retain ? 0x20 : 0);
  if (password !== undefined) flags |= 0x40;
  if (username !== undefined) flags |= 0x80;
  const properties = version === 5
    ? [encodeProperties({
      sessionExpiry: options.sessionExpiryS,
      receiveMaximum: options.receiveMaximum,
      maximumPacketSize: options.maximumPacketSize,
    })]
    : [];
  return packet(TYPE.connect << 4, [
    field("MQTT"),
    new Uint8Array([version, flags]),
    u16(options.keepaliveS),
    ...properties,
    field(options.clientId),
    // MQTT 5's will has properties of its own: none here.
    ...(will
      ? [...(version === 5 ? [new Uint8Array([0])] : []), field(will.topic), field(will.payload)]
      : []),
    ...(username !== undefined ? [field(username)] : []),
    ...(password !== undefined ? [field(password)] : []),
  ]);
}

/** How a PUBLISH is sent, beyond its topic, payload and QoS. */
export interface PublishFlags {
  /** The broker keeps it for later subscribers. */
  retain?: boolean;
  /** A re-send of an unacknowledged one, under its first id (MQTT-3.3.1-1). */
  dup?: boolean;
  version?: Version;
  /** MQTT 5: its properties (none when absent). */
  properties?: SentProperties;
}

/** PUBLISH; `id` is needed above QoS 0. */
export function encodePublish(
  topic: string,
  payload: string | Uint8Array,
  qos: 0 | 1 | 2,
  id?: number,
  { retain = false, dup = false, version = 4, properties = {} }: PublishFlags = {},
): Uint8Array {
  if (qos > 0 && id === undefined) throw new RangeError("a QoS 1 or 2 publish needs an id");
  const body = typeof payload === "string" ? encoder.encode(payload) : payload;
  const flags = (dup && qos > 0 ? 0x08 : 0) | (qos << 1) | (retain ? 1 : 0);
  return packet((TYPE.publish << 4) | flags, [
    field(topic),
    ...(qos > 0 ? [u16(id!)] : []),
    ...(version === 5 ? [encodeProperties(properties)] : []),
    body,
  ]);
}

/**
 * SUBSCRIBE to one topic filter. With MQTT 5, Retain Handling 1: a retained message comes
 * when the subscription is new, not when a kept session's is made again (a retained job
 * would otherwise come at every start); 2 would also keep it from a box whose session
 * expired, which would then never see it.
 */
export function encodeSubscribe(
  id: number,
  filter: string,
  qos: 0 | 1 | 2,
  version: Version = 4,
): Uint8Array {
  return packet((TYPE.subscribe << 4) | 0x02, [
    u16(id),
    ...(version === 5 ? [encodeProperties({})] : []),
    field(filter),
    new Uint8Array([version === 5 ? qos | 0x10 : qos]),
  ]);
}

/** PUBACK, PUBREC, PUBREL or PUBCOMP of packet `id`. */
export function encodeAck(
  kind: "puback" | "pubrec" | "pubrel" | "pubcomp",
  id: number,
): Uint8Array {
  // PUBREL has the reserved flags 0010.
  return packet((TYPE[kind] << 4) | (kind === "pubrel" ? 0x02 : 0), [u16(id)]);
}

export const PINGREQ: Uint8Array = new Uint8Array([TYPE.pingreq << 4, 0]);
export const DISCONNECT: Uint8Array = new Uint8Array([TYPE.disconnect << 4, 0]);

/**
 * Reads packets from a byte stream, whatever the chunks: `push` returns those complete. A
 * PUBLISH over `maxBytes` is not buffered: its header is kept, the rest skipped as it
 * arrives, and it comes out as `oversize`, so that the session can acknowledge it (else a
 * persistent session would send it again at every connect) and say what it dropped.
 */
export class PacketReader {
  #buffered: Uint8Array = new Uint8Array(0);
  /** An oversize PUBLISH being skipped: its header, and the bytes still to skip. */
  #skipping: { header: Uint8Array; first: number; total: number; left: number } | undefined;

  constructor(private readonly maxBytes: number, private readonly version: Version = 4) {}

  /** The packets completed by `chunk`, in order; throws `ProtocolError` on a bad one. */
  push(chunk: Uint8Array): (Packet | Oversize)[] {
    let data = this.#buffered.length ? concatBytes([this.#buffered, chunk]) : chunk;
    const packets: (Packet | Oversize)[] = [];
    for (;;) {
      if (this.#skipping) {
        const done = this.#skip(data);
        data = done.rest;
        if (!done.packet) break;
        packets.push(done.packet);
        continue;
      }
      const header = readHeader(data);
      if (!header) break;
      if (header.length > this.maxBytes) {
        if (data[0] >> 4 !== TYPE.publish) {
          throw new ProtocolError(
            `packet of ${header.length} bytes over the ${this.maxBytes}-byte limit`,
          );
        }
        this.#skipping = {
          header: new Uint8Array(0),
          first: data[0],
          total: header.length,
          left: header.length,
        };
        data = data.subarray(header.offset);
        continue;
      }
      if (data.length < header.offset + header.length) break;
      const body = data.subarray(header.offset, header.offset + header.length);
      packets.push(decodePacket(data[0], body, this.version));
      data = data.subarray(header.offset + header.length);
    }
    // A copy: the caller may reuse the buffer the chunk is in.
    this.#buffered = data.slice();
    return packets;
  }

  /** Keeps the topic and packet id of an oversize PUBLISH, drops the rest. */
  #skip(data: Uint8Array): { rest: Uint8Array; packet?: Oversize } {
    const skipping = this.#skipping!;
    const take = Math.min(data.length, skipping.left);
    if (skipping.header.length < PUBLISH_HEADER_MAX) {
      const keep = Math.min(take, PUBLISH_HEADER_MAX - skipping.header.length);
      skipping.header = concatBytes([skipping.header, data.subarray(0, keep)]);
    }
    skipping.left -= take;
    const rest = data.subarray(take);
    if (skipping.left > 0) return { rest };
    this.#skipping = undefined;
    const { topic, qos, id, payload } = decodePublish(
      skipping.first,
      skipping.header,
      this.version,
      true,
    );
    // The kept prefix ends with the start of the payload.
    const bytes = skipping.total - (skipping.header.length - payload.length);
    return {
      rest,
      packet: { type: "oversize", topic, qos, ...(id === undefined ? {} : { id }), bytes },
    };
  }
}

/** A PUBLISH too large to take: what is needed to acknowledge it and to say so. */
export interface Oversize {
  type: "oversize";
  topic: string;
  qos: 0 | 1 | 2;
  id?: number;
  /** How long its payload was, at least. */
  bytes: number;
}

/** A PUBLISH's topic (at most 65 535 bytes), its length field and packet id. */
const PUBLISH_HEADER_MAX = 2 + 0xffff + 2;

/** The fixed header's remaining length, or undefined while incomplete. */
function readHeader(data: Uint8Array) {
  let length = 0;
  for (let i = 1, factor = 1; i < data.length; i++, factor *= 128) {
    if (i > 4) throw new ProtocolError("malformed remaining length");
    length += (data[i] & 0x7f) * factor;
    if ((data[i] & 0x80) === 0) return { offset: i + 1, length };
  }
  return undefined;
}

/**
 * The fixed header's flags each type must carry (MQTT-2.2.2-1): 0010 for PUBREL, 0000 for
 * the others a broker sends; PUBLISH's flags are its own.
 */
const FLAGS: Record<number, number> = { [TYPE.pubrel]: 0x02 };

/** A packet id: 1 to 65 535 (MQTT-2.3.1-1). */
function packetId(high: number, low: number, what: string): number {
  const id = (high << 8) | low;
  if (id === 0) throw new ProtocolError(`${what} with packet id 0`);
  return id;
}

/** Decodes one packet from its first byte and its body. */
export function decodePacket(first: number, body: Uint8Array, version: Version = 4): Packet {
  try {
    return decode(first, body, version);
  } catch (error) {
    // A property that breaks the rules breaks the protocol.
    if (error instanceof PropertyError) throw new ProtocolError(error.message);
    throw error;
  }
}

function decode(first: number, body: Uint8Array, version: Version): Packet {
  const type = first >> 4;
  if (type !== TYPE.publish && (first & 0x0f) !== (FLAGS[type] ?? 0)) {
    throw new ProtocolError(`packet type ${type} with reserved flags ${first & 0x0f}`);
  }
  const v5 = version === 5;
  /** An acknowledgement: its id, and with MQTT 5 a reason code (absent: success). */
  const ack = <T extends "puback" | "pubrec" | "pubrel" | "pubcomp" | "unsuback">(kind: T) => {
    if (body.length < 2 || (!v5 && body.length !== 2)) {
      throw new ProtocolError(`type ${type}: body of ${body.length} bytes`);
    }
    const id = packetId(body[0], body[1], `packet type ${type}`);
    if (body.length > 3) readProperties(body, 3);
    return { type: kind, id, ...(v5 && body.length > 2 ? { reason: body[2] } : {}) };
  };
  switch (type) {
    case TYPE.connack: {
      // A 3.1.1 broker refuses a level-5 CONNECT with its own 2-byte CONNACK (code 1).
      if (v5 ? body.length < 2 : body.length !== 2) {
        throw new ProtocolError("CONNACK of the wrong length");
      }
      // MQTT-3.2.2-1: bits 7-1 of the acknowledge flags are reserved, 0.
      if (body[0] & 0xfe) throw new ProtocolError("CONNACK with reserved flags set");
      const sessionPresent = (body[0] & 1) === 1;
      if (!v5 || body.length === 2) return { type: "connack", sessionPresent, code: body[1] };
      const { properties } = readProperties(body, 2);
      return { type: "connack", sessionPresent, code: body[1], properties };
    }
    case TYPE.publish:
      return decodePublish(first, body, version);
    case TYPE.puback:
      return ack("puback");
    case TYPE.pubrec:
      return ack("pubrec");
    case TYPE.pubrel:
      return ack("pubrel");
    case TYPE.pubcomp:
      return ack("pubcomp");
    case TYPE.unsuback:
      if (v5) return { type: "unsuback", id: packetId(body[0], body[1], "UNSUBACK") };
      return ack("unsuback");
    case TYPE.suback: {
      if (body.length < 3) throw new ProtocolError("SUBACK without a return code");
      const id = packetId(body[0], body[1], "SUBACK");
      const codes = v5 ? readProperties(body, 2).next : 2;
      if (codes >= body.length) throw new ProtocolError("SUBACK without a return code");
      return { type: "suback", id, granted: [...body.subarray(codes)] };
    }
    case TYPE.pingresp:
      return { type: "pingresp" };
    case TYPE.disconnect: {
      if (!v5) break;
      const reason = body.length > 0 ? body[0] : 0;
      const properties = body.length > 1 ? readProperties(body, 1).properties : undefined;
      return { type: "disconnect", reason, ...(properties ? { properties } : {}) };
    }
  }
  throw new ProtocolError(`packet type ${type} is not one a broker sends`);
}

function decodePublish(first: number, body: Uint8Array, version: Version, headerOnly = false) {
  const flags = first & 0x0f;
  const qos = (flags >> 1) & 0x03;
  if (qos === 3) throw new ProtocolError("PUBLISH with QoS 3");
  if (body.length < 2) throw new ProtocolError("PUBLISH without a topic");
  const topicLength = (body[0] << 8) | body[1];
  const topicEnd = 2 + topicLength;
  const headerEnd = topicEnd + (qos > 0 ? 2 : 0);
  if (body.length < headerEnd) throw new ProtocolError("PUBLISH shorter than its header");
  // MQTT 5's properties come before the payload; an oversize message's are not read.
  const v5 = version === 5 && !headerOnly ? readProperties(body, headerEnd) : undefined;
  const payloadStart = v5?.next ?? headerEnd;
  let topic: string;
  try {
    topic = decoder.decode(body.subarray(2, topicEnd));
  } catch {
    throw new ProtocolError("PUBLISH topic is not UTF-8");
  }
  // A topic name has no wildcard (MQTT-3.3.2-2) and no NUL (MQTT-1.5.3-2).
  // deno-lint-ignore no-control-regex
  if (/[+#\u0000]/.test(topic)) throw new ProtocolError("PUBLISH topic with a wildcard or NUL");
  return {
    type: "publish" as const,
    topic,
    payload: headerOnly ? body.subarray(payloadStart) : body.slice(payloadStart),
    qos: qos as 0 | 1 | 2,
    dup: (flags & 0x08) !== 0,
    ...(qos > 0 ? { id: packetId(body[topicEnd], body[topicEnd + 1], "PUBLISH") } : {}),
    ...(v5 ? { properties: v5.properties } : {}),
  };
}
