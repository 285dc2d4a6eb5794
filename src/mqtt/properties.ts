/**
 * MQTT 5 properties (spec 2.2.2): a variable-length list of identified values after a
 * packet's variable header. Pure: the few this client sends, and every one a broker may
 * send read (unknown ones are a protocol error, as the spec wants).
 */
import { concatBytes } from "../io/mod.ts";

/** A protocol violation in the properties: the connection cannot go on. */
export class PropertyError extends Error {}

/** What ledge reads of a broker's properties. */
export interface Properties {
  /** 0x02, seconds. */
  messageExpiry?: number;
  /** 0x08. */
  responseTopic?: string;
  /** 0x09. */
  correlationData?: Uint8Array;
  /** 0x11, seconds. */
  sessionExpiry?: number;
  /** 0x12. */
  assignedClientId?: string;
  /** 0x13, seconds. */
  serverKeepAlive?: number;
  /** 0x1F. */
  reasonString?: string;
  /** 0x21. */
  receiveMaximum?: number;
  /** 0x27, bytes. */
  maximumPacketSize?: number;
  /** 0x26, in order. */
  userProperties?: [string, string][];
}

type Kind = "byte" | "u16" | "u32" | "varint" | "string" | "binary" | "pair";

/** Every property identifier a server may send, with its type (spec 2.2.2.2). */
const KINDS: Record<number, [Kind, keyof Properties | undefined]> = {
  0x01: ["byte", undefined], // payload format
  0x02: ["u32", "messageExpiry"],
  0x03: ["string", undefined], // content type
  0x08: ["string", "responseTopic"],
  0x09: ["binary", "correlationData"],
  0x0b: ["varint", undefined], // subscription identifier
  0x11: ["u32", "sessionExpiry"],
  0x12: ["string", "assignedClientId"],
  0x13: ["u16", "serverKeepAlive"],
  0x15: ["string", undefined], // authentication method
  0x16: ["binary", undefined], // authentication data
  0x1a: ["string", undefined], // response information
  0x1c: ["string", undefined], // server reference
  0x1f: ["string", "reasonString"],
  0x21: ["u16", "receiveMaximum"],
  0x22: ["u16", undefined], // topic alias maximum
  0x23: ["u16", undefined], // topic alias
  0x24: ["byte", undefined], // maximum QoS
  0x25: ["byte", undefined], // retain available
  0x26: ["pair", "userProperties"],
  0x27: ["u32", "maximumPacketSize"],
  0x28: ["byte", undefined], // wildcard subscription available
  0x29: ["byte", undefined], // subscription identifiers available
  0x2a: ["byte", undefined], // shared subscription available
};

const decoder = new TextDecoder("utf-8", { fatal: true });

/** A variable byte integer (at most 4 bytes) at `at`, and where it ends. */
export function readVarint(data: Uint8Array, at: number): { value: number; next: number } {
  let value = 0;
  for (let i = 0, factor = 1; i < 4; i++, factor *= 128) {
    if (at + i >= data.length) throw new PropertyError("properties cut off");
    value += (data[at + i] & 0x7f) * factor;
    if ((data[at + i] & 0x80) === 0) return { value, next: at + i + 1 };
  }
  throw new PropertyError("malformed variable byte integer");
}

/** A variable byte integer: 7 bits a byte, the high bit saying another follows. */
export function varint(value: number): Uint8Array {
  const bytes: number[] = [];
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    bytes.push(byte);
  } while (value > 0);
  return new Uint8Array(bytes);
}

/** Reads the properties at `at` (their length first); returns them and where they end. */
export function readProperties(
  data: Uint8Array,
  at: number,
): { properties: Properties; next: number } {
  const { value: length, next: start } = readVarint(data, at);
  const end = start + length;
  if (end > data.length) throw new PropertyError("properties longer than the packet");
  const properties: Properties = {};
  let i = start;
  const need = (n: number) => {
    if (i + n > end) throw new PropertyError("a property runs past the properties");
  };
  /** A length-prefixed value (a string's bytes, or binary data). */
  const bytes = () => {
    need(2);
    const n = (data[i] << 8) | data[i + 1];
    need(2 + n);
    i += 2 + n;
    return data.subarray(i - n, i);
  };
  const text = () => {
    try {
      return decoder.decode(bytes());
    } catch {
      throw new PropertyError("a property string is not UTF-8");
    }
  };
  while (i < end) {
    const id = data[i++];
    const known = KINDS[id];
    if (!known) throw new PropertyError(`unknown property 0x${id.toString(16)}`);
    const [kind, name] = known;
    let value: unknown;
    switch (kind) {
      case "byte":
        need(1);
        value = data[i++];
        break;
      case "u16":
        need(2);
        value = (data[i] << 8) | data[i + 1];
        i += 2;
        break;
      case "u32":
        need(4);
        value = ((data[i] << 24) >>> 0) + (data[i + 1] << 16) + (data[i + 2] << 8) + data[i + 3];
        i += 4;
        break;
      case "varint": {
        const read = readVarint(data, i);
        if (read.next > end) throw new PropertyError("a property runs past the properties");
        value = read.value;
        i = read.next;
        break;
      }
      case "string":
        value = text();
        break;
      case "binary":
        value = bytes().slice();
        break;
      case "pair":
        value = [text(), text()];
        break;
    }
    if (name === "userProperties") {
      (properties.userProperties ??= []).push(value as [string, string]);
    } else if (name) (properties as Record<string, unknown>)[name] = value;
  }
  return { properties, next: end };
}

function u32(value: number): Uint8Array {
  return new Uint8Array([value >>> 24, (value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff]);
}

const encoder = new TextEncoder();

/** A UTF-8 string or binary field (packets' and properties'): two length bytes, then the bytes. */
export function field(value: string | Uint8Array): Uint8Array {
  const bytes = typeof value === "string" ? encoder.encode(value) : value;
  if (bytes.length > 0xffff) throw new RangeError("an MQTT string is at most 65 535 bytes");
  return concatBytes([new Uint8Array([bytes.length >> 8, bytes.length & 0xff]), bytes]);
}

/** What ledge sends: on CONNECT, and a reply's expiry, correlation and user properties. */
export interface SentProperties {
  messageExpiry?: number;
  correlationData?: Uint8Array;
  sessionExpiry?: number;
  receiveMaximum?: number;
  maximumPacketSize?: number;
  userProperties?: readonly (readonly [string, string])[];
}

/** The properties, their length first. */
export function encodeProperties(values: SentProperties): Uint8Array {
  const parts: Uint8Array[] = [];
  if (values.messageExpiry !== undefined) {
    parts.push(new Uint8Array([0x02]), u32(values.messageExpiry));
  }
  if (values.correlationData !== undefined) {
    parts.push(new Uint8Array([0x09]), field(values.correlationData));
  }
  if (values.sessionExpiry !== undefined) {
    parts.push(new Uint8Array([0x11]), u32(values.sessionExpiry));
  }
  if (values.receiveMaximum !== undefined) {
    parts.push(new Uint8Array([0x21, values.receiveMaximum >> 8, values.receiveMaximum & 0xff]));
  }
  for (const [name, value] of values.userProperties ?? []) {
    parts.push(new Uint8Array([0x26]), field(name), field(value));
  }
  if (values.maximumPacketSize !== undefined) {
    parts.push(new Uint8Array([0x27]), u32(values.maximumPacketSize));
  }
  const body = concatBytes(parts);
  return concatBytes([varint(body.length), body]);
}

/** MQTT 5 reason codes a client meets (spec 2.4), worded for a log line. */
export const REASONS: Record<number, string> = {
  0x80: "unspecified error",
  0x81: "malformed packet",
  0x82: "protocol error",
  0x83: "implementation specific error",
  0x84: "unsupported protocol version",
  0x85: "client identifier not valid",
  0x86: "bad user name or password",
  0x87: "not authorized",
  0x88: "server unavailable",
  0x89: "server busy",
  0x8a: "banned",
  0x8b: "server shutting down",
  0x8c: "bad authentication method",
  0x8d: "keep alive timeout",
  0x8e: "session taken over",
  0x8f: "topic filter invalid",
  0x90: "topic name invalid",
  0x93: "receive maximum exceeded",
  0x94: "topic alias invalid",
  0x95: "packet too large",
  0x97: "quota exceeded",
  0x99: "payload format invalid",
  0x9a: "retain not supported",
  0x9b: "QoS not supported",
  0x9c: "use another server",
  0x9d: "server moved",
  0x9f: "connection rate exceeded",
};

/** A reason code in words: `reasonOf(0x87)` is "not authorized". */
export function reasonOf(code: number): string {
  return REASONS[code] ?? `reason 0x${code.toString(16)}`;
}
