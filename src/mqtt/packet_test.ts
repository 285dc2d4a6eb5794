import { assert, assertEquals } from "../../tests/support/assert.ts";
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
