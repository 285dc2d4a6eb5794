import { assert, assertEquals, assertMatch, assertRejects } from "../../tests/support/assert.ts";
import { ManualClock } from "../../tests/support/clock.ts";
import { until } from "../../tests/support/poll.ts";
import { ConnackRefused, MqttConnection, PublishRefused } from "./connection.ts";
import { encodeAck, encodePublish, type Oversize } from "./packet.ts";

const CONNACK = new Uint8Array([0x20, 2, 0, 0]);

/** A broker on the other end of a pipe: the test says what it sends, and reads what came. */
class FakeBroker {
  written: number[][] = [];
  closed = false;
  #incoming: Uint8Array[] = [];
  #wake: (() => void) | undefined;

  send(...packets: Uint8Array[]): void {
    this.#incoming.push(...packets);
    this.#wake?.();
  }

  /** The packet types written by the client, as first bytes. */
  get types(): number[] {
    return this.written.map((packet) => packet[0]);
  }

  stream = {
    read: async (buffer: Uint8Array): Promise<number | null> => {
      while (this.#incoming.length === 0) {
        if (this.closed) return null;
        await new Promise<void>((resolve) => this.#wake = resolve);
      }
      const next = this.#incoming.shift()!;
      buffer.set(next);
      return next.length;
    },
    write: (data: Uint8Array): Promise<number> => {
      if (this.closed) return Promise.reject(new Error("closed"));
      this.written.push([...data]);
      return Promise.resolve(data.length);
    },
    close: () => {
      this.closed = true;
      this.#wake?.();
    },
  };
}

function connection(broker: FakeBroker, clock = new ManualClock()) {
  const messages: string[] = [];
  const oversize: Oversize[] = [];
  const closes: string[] = [];
  let release: (() => void) | undefined;
  const held = { on: false };
  const conn = new MqttConnection(broker.stream, { clock, keepaliveS: 10, maxPacketBytes: 1024 }, {
    onMessage: (topic, payload) => {
      messages.push(`${topic} ${new TextDecoder().decode(payload)}`);
      return held.on ? new Promise((resolve) => release = resolve) : Promise.resolve();
    },
    onOversize: (packet) => oversize.push(packet),
    onClose: (reason) => closes.push(reason.message),
  });
  return { conn, clock, messages, oversize, closes, held, release: () => release?.() };
}

const CONNECT = { clientId: "ledge-x", clean: false, keepaliveS: 10 };

/** A connection past its handshake (the broker answered CONNACK). */
async function connected(broker: FakeBroker) {
  const parts = connection(broker);
  const open = parts.conn.handshake(CONNECT, 1000);
  broker.send(CONNACK);
  await open;
  return parts;
}

Deno.test("the handshake waits for the CONNACK; a refusal says why", async () => {
  const broker = new FakeBroker();
  const { conn } = connection(broker);
  const done = conn.handshake(CONNECT, 1000);
  broker.send(new Uint8Array([0x20, 2, 1, 0]));
  assertEquals(await done, { sessionPresent: true, properties: {} });
  assertEquals(broker.types, [0x10]);

  const refusing = new FakeBroker();
  const refused = connection(refusing);
  const failed = refused.conn.handshake(CONNECT, 1000);
  refusing.send(new Uint8Array([0x20, 2, 0, 5]));
  const error = await failed.catch((e) => e);
  assert(error instanceof ConnackRefused, String(error));
  assertEquals([error.code, error.message], [
    5,
    "connection refused by the broker: not authorized",
  ]);
  assertEquals(refused.closes, [error.message]);
  assert(refusing.closed);
});

Deno.test("a silent broker times the handshake out", async () => {
  const broker = new FakeBroker();
  const { conn, clock, closes } = connection(broker);
  const done = conn.handshake(CONNECT, 1000).catch((error) => error.message);
  await clock.advance(1000);
  assertEquals(await done, "no CONNACK in time");
  assertEquals(closes, ["no CONNACK in time"]);
});

Deno.test("a QoS 1 publish resolves on its PUBACK; a close rejects the ones waiting", async () => {
  const broker = new FakeBroker();
  const { conn } = await connected(broker);
  const first = conn.publish("pub/a", "one", { qos: 1 }).acked;
  const second = conn.publish("pub/a", "two", { qos: 1 }).acked;
  await until(() => broker.written.length === 3, "both publishes written");
  const ids = broker.written.slice(1).map((p) => (p[p.length - 5] << 8) | p[p.length - 4]);
  assertEquals(ids, [1, 2]);
  broker.send(encodeAck("puback", 1));
  await first;
  conn.close(new Error("link lost"));
  await assertRejects(() => second, /link lost/);
  await assertRejects(() => conn.publish("pub/a", "three", { qos: 1 }).acked, /link lost/);
});

Deno.test("an idle connection writes at once; one still writing queues in order", async () => {
  const broker = new FakeBroker();
  const { conn } = await connected(broker);
  const one = conn.publish("pub/a", "one", { qos: 0 });
  // In the same turn: what the caller does next (a log line) does not go first.
  assertEquals([broker.written.length, one.written], [2, undefined], "not written at once");
  const two = conn.publish("pub/a", "two", { qos: 0 });
  assertEquals(broker.written.length, 2, "written past the one before");
  assert(two.written, "a publish behind another says so");
  await two.written;
  assertEquals(broker.written.length, 3);
  const payloads = broker.written.slice(1).map((p) =>
    new TextDecoder().decode(new Uint8Array(p.slice(-3)))
  );
  assertEquals(payloads, ["one", "two"]);
});

Deno.test("messages are handled in order and acknowledged only after their handler", async () => {
  const broker = new FakeBroker();
  const { messages, held, release } = await connected(broker);
  held.on = true;
  broker.send(encodePublish("sub/x", "job-1", 1, 7), encodePublish("sub/x", "job-2", 2, 8));
  await until(() => messages.length === 1, "the first message handed over");
  assertEquals(broker.types, [0x10], "nothing acknowledged while the handler works");
  held.on = false;
  release();
  await until(() => broker.written.length === 3, "both acknowledged");
  assertEquals(messages, ["sub/x job-1", "sub/x job-2"]);
  assertEquals(broker.written.slice(1), [[0x40, 2, 0, 7], [0x50, 2, 0, 8]], "PUBACK, then PUBREC");
  broker.send(new Uint8Array([0x62, 2, 0, 8]));
  await until(() => broker.written.length === 4, "PUBCOMP");
  assertEquals(broker.written[3], [0x70, 2, 0, 8]);
});

Deno.test("a message over the limit is acknowledged and reported, the next one handled", async () => {
  const broker = new FakeBroker();
  const { messages, oversize } = await connected(broker);
  broker.send(encodePublish("sub/x", new Uint8Array(5000), 1, 3), encodePublish("sub/x", "ok", 0));
  await until(() => messages.length === 1, "the next message");
  assertEquals(oversize, [{ type: "oversize", topic: "sub/x", qos: 1, id: 3, bytes: 5000 }]);
  assertEquals(broker.written[1], [0x40, 2, 0, 3]);
});

Deno.test("keepalive: a PINGREQ when idle, closed when the broker stays silent", async () => {
  const broker = new FakeBroker();
  const { conn, clock, closes } = await connected(broker);
  await clock.advance(5000);
  assertEquals(broker.types.at(-1), 0xc0, "PINGREQ after half the keepalive");
  await clock.advance(10_000);
  assertEquals(closes, [], "still open at 1.5 keepalives");
  await clock.advance(5000);
  assertEquals(closes, ["no packet from the broker for 15 s"]);
  assert(!conn.open);
});

Deno.test("a broker that breaks the protocol closes the connection with the reason", async () => {
  const broker = new FakeBroker();
  const { closes } = await connected(broker);
  broker.send(new Uint8Array([0x10, 0]));
  await until(() => closes.length === 1, "closed");
  assertEquals(closes, ["packet type 1 is not one a broker sends"]);
});

Deno.test("each of the broker's violations closes the connection (MQTT-4.8.0-1), with why", async () => {
  const publish = (topic: string, qos: 0 | 1 | 2, id?: number) =>
    encodePublish(topic, "x", qos, id);
  const cases: [string, Uint8Array, RegExp][] = [
    ["packet id 0", publish("sub/x", 1, 0), /PUBLISH with packet id 0/],
    ["a second CONNACK", CONNACK, /a second CONNACK/],
    ["PINGRESP with flags", new Uint8Array([0xd1, 0]), /packet type 13 with reserved flags 1/],
    [
      "PUBREL without its 0010",
      new Uint8Array([0x60, 2, 0, 1]),
      /packet type 6 with reserved flags 0/,
    ],
    ["NUL in a topic", publish("sub/a\u0000b", 0), /wildcard or NUL/],
    ["a wildcard in a topic name", publish("sub/+", 0), /wildcard or NUL/],
  ];
  for (const [name, packet, reason] of cases) {
    const broker = new FakeBroker();
    const { closes, messages } = await connected(broker);
    broker.send(packet);
    await until(() => closes.length === 1, name);
    assertMatch(closes[0], reason);
    assertEquals(messages, [], `${name}: nothing handed over`);
  }
  // Before the handshake's answer: a job, and a CONNACK with reserved bits.
  for (
    const [name, packet, reason] of [
      ["a job before CONNACK", publish("sub/x", 1, 3), /publish before CONNACK/],
      ["CONNACK reserved bits", new Uint8Array([0x20, 2, 0x02, 0]), /reserved flags set/],
    ] as const
  ) {
    const broker = new FakeBroker();
    const { conn, closes, messages } = connection(broker);
    const open = conn.handshake(CONNECT, 1000).catch((e) => e.message);
    broker.send(packet);
    assertMatch(await open, reason);
    assertEquals([closes.length, messages], [1, []], name);
  }
});

Deno.test("QoS 2: the same PUBLISH again before its PUBREL is acknowledged, not handled twice", async () => {
  const awaitingRelease = new Set<number>();
  const broker = new FakeBroker();
  const messages: string[] = [];
  const conn = new MqttConnection(broker.stream, {
    clock: new ManualClock(),
    keepaliveS: 10,
    maxPacketBytes: 1024,
    awaitingRelease,
  }, {
    onMessage: (_topic, payload) =>
      Promise.resolve(void messages.push(new TextDecoder().decode(payload))),
    onOversize: () => {},
    onClose: () => {},
  });
  const open = conn.handshake(CONNECT, 1000);
  broker.send(CONNACK);
  await open;
  const dup = encodePublish("sub/x", "job-9", 2, 9);
  dup[0] |= 0x08;
  broker.send(encodePublish("sub/x", "job-9", 2, 9), dup);
  await until(() => broker.written.length === 3, "two PUBRECs");
  assertEquals(messages, ["job-9"]);
  assertEquals(broker.written.slice(1), [[0x50, 2, 0, 9], [0x50, 2, 0, 9]]);
  assertEquals([...awaitingRelease], [9], "kept for the session's next connection");
  broker.send(new Uint8Array([0x62, 2, 0, 9]));
  await until(() => broker.written.length === 4, "PUBCOMP");
  assertEquals(awaitingRelease.size, 0);
  // Released: the id may carry a new message now.
  broker.send(encodePublish("sub/x", "job-10", 2, 9));
  await until(() => messages.length === 2, "a new message under the id");
});

/** An MQTT 5 connection past its handshake, the broker's CONNACK body as given. */
async function connectedV5(broker: FakeBroker, connack: number[]): Promise<MqttConnection> {
  const conn = new MqttConnection(
    broker.stream,
    { clock: new ManualClock(), keepaliveS: 10, maxPacketBytes: 1024, version: 5 },
    { onMessage: () => Promise.resolve(), onOversize: () => {}, onClose: () => {} },
  );
  const open = conn.handshake(CONNECT, 1000);
  broker.send(new Uint8Array([0x20, connack.length, ...connack]));
  await open;
  return conn;
}

Deno.test("MQTT 5: no more unacknowledged publishes than the broker's Receive Maximum", async () => {
  const broker = new FakeBroker();
  const conn = await connectedV5(broker, [0, 0, 3, 0x21, 0, 2]); // Receive Maximum 2
  const sent = [1, 2, 3].map((n) => conn.publish("pub/a", `r${n}`, { qos: 1 }));
  await until(() => broker.written.length === 3, "two publishes");
  assert(sent[2].written, "the third waits, and says so");
  assertEquals(broker.written.length, 3, "CONNECT and two PUBLISHes: the third held");
  broker.send(encodeAck("puback", sent[0].id!));
  await sent[0].acked;
  await sent[2].written;
  assertEquals(broker.written.length, 4, "a PUBACK lets the third go");
  const second = sent[1].acked.catch((error) => error.message);
  conn.close(new Error("gone"));
  assertEquals(await second, "gone");
  await assertRejects(() => sent[2].acked, /gone/);
});

Deno.test("MQTT 5: a PUBACK from 0x80 refuses that publish, with the broker's reason", async () => {
  const broker = new FakeBroker();
  const conn = await connectedV5(broker, [0, 0, 0]);
  const refused = conn.publish("pub/a", "r", { qos: 1 });
  const ok = conn.publish("pub/a", "s", { qos: 1 });
  broker.send(new Uint8Array([0x40, 3, 0, refused.id!, 0x87]), encodeAck("puback", ok.id!));
  const error = await refused.acked.catch((e) => e);
  assert(error instanceof PublishRefused, String(error));
  assertEquals([error.reason, error.message], [
    0x87,
    "publish refused by the broker: not authorized",
  ]);
  await ok.acked;
  assert(conn.open, "a refusal is not a lost connection");
});
