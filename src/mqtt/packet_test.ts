import { assert, assertEquals, assertThrows } from "../../tests/support/assert.ts";
import { seededRandom } from "../../tests/support/random.ts";
import {
  decodePacket,
  encodeAck,
  encodeConnect,
  encodePublish,
  encodeSubscribe,
  type Packet,
  PacketReader,
  PINGREQ,
  ProtocolError,
} from "./packet.ts";

const bytes = (...values: number[]) => new Uint8Array(values);
const text = (value: string) => [...new TextEncoder().encode(value)];

/** Feeds `data` one byte at a time: every packet must come out whole, whatever the chunks. */
function byteByByte(reader: PacketReader, data: Uint8Array) {
  return [...data].flatMap((byte) => reader.push(bytes(byte)));
}

Deno.test("CONNECT is MQTT 3.1.1 to the byte: flags, keepalive, will, credentials", () => {
  const packet = encodeConnect({
    clientId: "ab",
    clean: false,
    keepaliveS: 30,
    username: "u",
    password: "p",
    will: { topic: "s", payload: "x", qos: 1, retain: false },
  });
  assertEquals([...packet], [
    0x10,
    26, // CONNECT, remaining length
    0,
    4,
    ...text("MQTT"),
    4, // protocol name and level
    0b11001100, // user name, password, will QoS 1, will; not clean
    0,
    30, // keepalive
    0,
    2,
    ...text("ab"),
    0,
    1,
    ...text("s"),
    0,
    1,
    ...text("x"),
    0,
    1,
    ...text("u"),
    0,
    1,
    ...text("p"),
  ]);
  const minimal = encodeConnect({ clientId: "", clean: true, keepaliveS: 0 });
  assertEquals([...minimal.subarray(9, 12)], [0b10, 0, 0], "clean only, keepalive 0");
});

Deno.test("SUBSCRIBE, acks and PINGREQ have their fixed headers", () => {
  assertEquals([...encodeSubscribe(7, "a/b", 2)], [0x82, 8, 0, 7, 0, 3, ...text("a/b"), 2]);
  assertEquals([...encodeAck("puback", 0x1234)], [0x40, 2, 0x12, 0x34]);
  assertEquals([...encodeAck("pubrel", 1)], [0x62, 2, 0, 1], "PUBREL has flags 0010");
  assertEquals([...PINGREQ], [0xc0, 0]);
});

Deno.test("a PUBLISH comes back whole from any chunking, at every length boundary", () => {
  for (const size of [0, 1, 120, 121, 16_375, 16_376, 70_000]) {
    const payload = new Uint8Array(size).map((_, i) => i % 251);
    const reader = new PacketReader(1 << 20);
    const data = encodePublish("t/é", payload, 1, 513);
    const packets = size < 20_000 ? byteByByte(reader, data) : reader.push(data);
    assertEquals(packets.length, 1, `size ${size}`);
    const [publish] = packets as Extract<Packet, { type: "publish" }>[];
    assertEquals([publish.topic, publish.qos, publish.id, publish.dup], ["t/é", 1, 513, false]);
    assertEquals(publish.payload, payload);
  }
});

Deno.test("packets back to back in one chunk come out in order", () => {
  const reader = new PacketReader(1024);
  const data = new Uint8Array([
    ...encodePublish("a", "1", 0),
    0x90,
    3,
    0,
    9,
    1, // SUBACK id 9, granted QoS 1
    0x20,
    2,
    1,
    0, // CONNACK, session present
    0xd0,
    0, // PINGRESP
  ]);
  assertEquals(reader.push(data).map((p) => p.type), ["publish", "suback", "connack", "pingresp"]);
});

Deno.test("a PUBLISH over the limit is skipped, not buffered, and reported to be acknowledged", () => {
  const reader = new PacketReader(1000);
  const big = encodePublish("sub/x", new Uint8Array(50_000), 1, 42);
  const after = encodePublish("sub/x", "next", 1, 43);
  const out = [];
  for (let i = 0; i < big.length; i += 999) out.push(...reader.push(big.subarray(i, i + 999)));
  out.push(...reader.push(after));
  assertEquals(out[0], { type: "oversize", topic: "sub/x", qos: 1, id: 42, bytes: 50_000 });
  assertEquals(out[1].type, "publish");
  assertEquals((out[1] as { id: number }).id, 43);
});

Deno.test("what breaks the protocol is a ProtocolError, with what was wrong", () => {
  const refused: [number[], RegExp][] = [
    [[0x30, 0xff, 0xff, 0xff, 0xff, 0x01], /remaining length/],
    [[0x36, 3, 0, 1, 0x61], /QoS 3/],
    [[0x20, 3, 0, 0, 0], /CONNACK/],
    [[0x10, 0], /not one a broker sends/],
    [[0x30, 3, 0, 1, 0xff], /UTF-8/],
    [[0x30, 1, 0], /without a topic/],
    [[0x40, 1, 0], /body of 1 bytes/],
    [[0xa0, 2, 0, 1], /not one a broker sends/],
  ];
  const protocolError = (data: Uint8Array, limit = 100) => {
    try {
      new PacketReader(limit).push(data);
    } catch (error) {
      assert(error instanceof ProtocolError, String(error));
      return error.message;
    }
    throw new Error(`accepted: ${data}`);
  };
  for (const [data, why] of refused) {
    const message = protocolError(new Uint8Array(data));
    assert(why.test(message), `${data}: ${message}`);
  }
  assert(/over the 10-byte limit/.test(protocolError(bytes(0x90, 20), 10)));
  assertEquals(decodePacket(0xb0, bytes(0, 5)), { type: "unsuback", id: 5 });
});

Deno.test("fuzz: 20 000 random streams only ever give packets or a ProtocolError", () => {
  const random = seededRandom(0x5eed);
  const valid = [
    ...encodePublish("sub/t/k/m", '{"id":"1"}', 1, 1),
    ...encodeAck("puback", 1),
    0xd0,
    0,
  ];
  for (let run = 0; run < 20_000; run++) {
    const data = new Uint8Array(valid.length + Math.floor(random() * 40));
    for (let i = 0; i < data.length; i++) {
      // Half mutations of a valid stream, half noise.
      data[i] = run % 2 && i < valid.length && random() > 0.1
        ? valid[i]
        : Math.floor(random() * 256);
    }
    const reader = new PacketReader(512);
    try {
      for (let i = 0; i < data.length;) {
        const step = 1 + Math.floor(random() * 8);
        for (const packet of reader.push(data.subarray(i, i + step))) assert(packet.type);
        i += step;
      }
    } catch (error) {
      if (!(error instanceof ProtocolError)) throw error;
    }
  }
});

Deno.test("MQTT 5: CONNECT carries level 5, session expiry and our packet limit; SUBSCRIBE retain handling 1", () => {
  const connect = encodeConnect({
    clientId: "c",
    clean: false,
    keepaliveS: 30,
    version: 5,
    sessionExpiryS: 604800,
    maximumPacketSize: 262144,
    will: { topic: "s", payload: "w", qos: 1, retain: false },
  });
  // fixed header, "MQTT", level 5, flags (will QoS 1), keepalive, properties (11 bytes).
  assertEquals([...connect.subarray(2, 12)], [0, 4, 77, 81, 84, 84, 5, 0x0c, 0, 30]);
  assertEquals([...connect.subarray(12, 23)], [10, 0x11, 0, 9, 0x3a, 0x80, 0x27, 0, 4, 0, 0]);
  // client id, then the will's own (empty) properties before its topic.
  assertEquals([...connect.subarray(23, 27)], [0, 1, 99, 0]);
  const subscribe = encodeSubscribe(7, "sub/x", 1, 5);
  assertEquals([...subscribe], [
    0x82,
    11,
    0,
    7,
    0,
    0,
    5,
    ...new TextEncoder().encode("sub/x"),
    0x11,
  ]);
});

Deno.test("MQTT 5: CONNACK, PUBLISH, PUBACK and DISCONNECT with their properties and reasons", () => {
  const connack = decodePacket(0x20, new Uint8Array([1, 0, 8, 0x27, 0, 0, 8, 0, 0x13, 0, 60]), 5);
  assertEquals(connack, {
    type: "connack",
    sessionPresent: true,
    code: 0,
    properties: { maximumPacketSize: 2048, serverKeepAlive: 60 },
  });
  const text = (s: string) => [0, s.length, ...new TextEncoder().encode(s)];
  const publish = decodePacket(
    0x32,
    new Uint8Array([
      ...text("sub/x"),
      0,
      3,
      12,
      0x02,
      0,
      0,
      0,
      30,
      0x26,
      ...text("a"),
      ...text("b"),
      0x7b,
      0x7d,
    ]),
    5,
  );
  assertEquals(publish, {
    type: "publish",
    topic: "sub/x",
    payload: new Uint8Array([0x7b, 0x7d]),
    qos: 1,
    dup: false,
    id: 3,
    properties: { messageExpiry: 30, userProperties: [["a", "b"]] },
  });
  assertEquals(decodePacket(0x40, new Uint8Array([0, 3, 0x87]), 5), {
    type: "puback",
    id: 3,
    reason: 0x87,
  });
  assertEquals(decodePacket(0x40, new Uint8Array([0, 3]), 5), { type: "puback", id: 3 });
  assertEquals(decodePacket(0xe0, new Uint8Array([0x8e, 0]), 5), {
    type: "disconnect",
    reason: 0x8e,
    properties: {},
  });
  // 3.1.1 knows no DISCONNECT from a broker, and MQTT 5 no unknown property.
  assertThrows(() => decodePacket(0xe0, new Uint8Array([]), 4), /not one a broker sends/);
  assertThrows(
    () => decodePacket(0x20, new Uint8Array([0, 0, 2, 0x7f, 0]), 5),
    /unknown property 0x7f/,
  );
});
