import { assert, assertEquals } from "../../tests/support/assert.ts";
import { until } from "../../tests/support/poll.ts";
import { makeCerts } from "../../tests/support/certs.ts";
import { tempDir } from "../../tests/support/process.ts";
import { Counters } from "../counters.ts";
import { systemClock } from "../io/mod.ts";
import { memoryLogger } from "../log/logger.ts";
import { MqttSession, type SessionOptions } from "./session.ts";

const CONNACK_ACCEPTED = new Uint8Array([0x20, 0x02, 0x00, 0x00]);

Deno.test("a session stopped while connecting does not connect after all", async () => {
  // A broker that answers CONNECT only when the test says so.
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  const connected: string[] = [];
  const { session } = sessionOn(port, connected);
  await session.start();
  using conn = await listener.accept();
  const buffer = new Uint8Array(1024);
  const connect = await conn.read(buffer);
  assertEquals(buffer[0] >> 4, 1, `CONNECT first (${connect} bytes)`);

  const stopping = session.stop();
  await conn.write(CONNACK_ACCEPTED).catch(() => 0);
  // Whatever comes next must not be a SUBSCRIBE (0x82): the socket just closes.
  const deadline = AbortSignal.timeout(5000);
  const next = await Promise.race([
    conn.read(buffer).then((n) => n === null ? "closed" : `packet 0x${buffer[0].toString(16)}`)
      .catch(() => "closed"),
    new Promise<string>((resolve) => deadline.onabort = () => resolve("still open after 5 s")),
  ]);
  assertEquals(next, "closed");
  await stopping;
  assertEquals(connected, []);
});

/** Reads the next whole packet's first byte from a broker-side socket. */
async function nextWhole(conn: Deno.Conn): Promise<{ first: number; body: Uint8Array } | "closed"> {
  const byte = async () => {
    const b = new Uint8Array(1);
    return (await conn.read(b).catch(() => null)) === null ? undefined : b[0];
  };
  const first = await byte();
  if (first === undefined) return "closed";
  let length = 0;
  for (let factor = 1, b: number | undefined = 0x80; b! & 0x80; factor *= 128) {
    b = await byte();
    if (b === undefined) return "closed";
    length += (b & 0x7f) * factor;
  }
  const body = new Uint8Array(length);
  for (let got = 0; got < length;) {
    const n = await conn.read(body.subarray(got)).catch(() => null);
    if (n === null) return "closed";
    got += n;
  }
  return { first, body };
}

/** The first byte of the next packet, or "closed". */
async function nextPacket(conn: Deno.Conn): Promise<number | "closed"> {
  const packet = await nextWhole(conn);
  return packet === "closed" ? packet : packet.first;
}

/** Accepts the session's connection and lets it subscribe; resolves once it is connected. */
async function acceptSubscribed(listener: Deno.Listener, connected: string[]): Promise<Deno.Conn> {
  const conn = await listener.accept();
  assertEquals(await nextPacket(conn), 0x10);
  await conn.write(CONNACK_ACCEPTED);
  assertEquals(await nextPacket(conn), 0x82);
  await conn.write(new Uint8Array([0x90, 3, 0, 1, 1])); // SUBACK, QoS 1
  await until(() => connected.length >= 1, "connected");
  return conn;
}

/** A session to a test's broker on `port`; `connected` gets a line at each connect. */
function sessionOn(port: number, connected: string[], extra: Partial<SessionOptions> = {}) {
  const { log, lines } = memoryLogger();
  const session = new MqttSession(
    {
      host: "127.0.0.1",
      port,
      clientId: "ledge-AA",
      keepaliveS: 30,
      clean: false,
      reconnectMaxS: 1,
      subscriptions: [{ topic: "sub/t/k/AA", qos: 1 }],
      will: { topic: "status/t/k/AA", payload: () => "{}" },
      ...extra,
    },
    { onConnect: () => connected.push("connect"), onMessage: () => {} },
    { log, counters: new Counters(), clock: systemClock },
  );
  return { session, lines };
}

Deno.test("a broker that never answers SUBSCRIBE: timed out, closed, said why, tried again", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const connected: string[] = [];
  const { session } = sessionOn((listener.addr as Deno.NetAddr).port, connected, {
    connectTimeoutMs: 300,
  });
  await session.start();
  try {
    using first = await listener.accept();
    assertEquals(await nextPacket(first), 0x10);
    await first.write(CONNACK_ACCEPTED);
    assertEquals(await nextPacket(first), 0x82, "SUBSCRIBE");
    // No SUBACK: the session gives up on this connection and connects again.
    assertEquals(await nextPacket(first), "closed");
    assertEquals(session.info()["last-error"], "no SUBACK within 300 ms");
    using second = await listener.accept();
    assertEquals(await nextPacket(second), 0x10, "a new CONNECT after the backoff");
    assertEquals(connected, []);
  } finally {
    await session.stop();
  }
});

Deno.test("MQTT 5: a SUBACK that refuses the subscription says why, and the session tries again", async () => {
  // mosquitto 2.0 grants every subscription and filters on delivery: a scripted broker.
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const connected: string[] = [];
  const { session } = sessionOn((listener.addr as Deno.NetAddr).port, connected, { version: 5 });
  await session.start();
  try {
    using first = await listener.accept();
    assertEquals(await nextPacket(first), 0x10);
    await first.write(new Uint8Array([0x20, 3, 0, 0, 0])); // CONNACK, no properties
    assertEquals(await nextPacket(first), 0x82, "SUBSCRIBE");
    await first.write(new Uint8Array([0x90, 4, 0, 1, 0, 0x87])); // SUBACK: not authorized
    assertEquals(await nextPacket(first), "closed");
    assertEquals(
      session.info()["last-error"],
      "subscription refused by broker: sub/t/***/AA (not authorized)",
    );
    using second = await listener.accept();
    assertEquals(await nextPacket(second), 0x10, "a new CONNECT after the backoff");
    assertEquals(connected, []);
  } finally {
    await session.stop();
  }
});

Deno.test("a resumed session is not subscribed again: a retained job is not sent again", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const connected: string[] = [];
  const { session } = sessionOn((listener.addr as Deno.NetAddr).port, connected);
  await session.start();
  try {
    const first = await acceptSubscribed(listener, connected);
    first.close(); // the link drops; the broker keeps the session
    using second = await listener.accept();
    assertEquals(await nextPacket(second), 0x10);
    await second.write(new Uint8Array([0x20, 2, 1, 0])); // session present
    // The first packet after a resumed CONNACK is ours to publish, not a SUBSCRIBE.
    await until(() => connected.length === 2, "connected again");
    await session.publish("pub/t/k/AA", "after", { qos: 0 }).acked;
    assertEquals(await nextPacket(second), 0x30, "the publish, no SUBSCRIBE before it");
  } finally {
    await session.stop();
  }
});

Deno.test("a reply lost unacknowledged is sent again under its packet id, with DUP", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const connected: string[] = [];
  const { session } = sessionOn((listener.addr as Deno.NetAddr).port, connected);
  await session.start();
  try {
    const first = await acceptSubscribed(listener, connected);
    const lost = session.publish("pub/t/k/AA", "reply", { key: "result:j1" }).acked;
    const sent = await nextWhole(first);
    assert(sent !== "closed");
    assertEquals(sent.first, 0x32, "QoS 1, no DUP");
    const id = (sent.body[2 + 10] << 8) | sent.body[2 + 11]; // after the topic "pub/t/k/AA"
    first.close(); // no PUBACK: the link drops
    await lost.catch(() => {});
    using second = await listener.accept();
    await nextWhole(second);
    await second.write(new Uint8Array([0x20, 2, 1, 0])); // the session is still there
    await until(() => connected.length === 2, "connected again");
    const again = session.publish("pub/t/k/AA", "reply", { key: "result:j1" }).acked;
    const resent = await nextWhole(second);
    assert(resent !== "closed");
    assertEquals(resent.first, 0x3a, "QoS 1 with DUP");
    assertEquals((resent.body[2 + 10] << 8) | resent.body[2 + 11], id, "the same packet id");
    await second.write(new Uint8Array([0x40, 2, id >> 8, id & 0xff]));
    await again;
  } finally {
    await session.stop();
  }
});

Deno.test("TLS offers the configured ALPN protocols (AWS IoT's MQTT on 443)", async () => {
  await using dir = await tempDir();
  const certs = await makeCerts(dir.path);
  using listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: await Deno.readTextFile(certs.serverCert),
    key: await Deno.readTextFile(certs.serverKey),
    alpnProtocols: ["x-amzn-mqtt-ca"],
  });
  const { session } = sessionOn((listener.addr as Deno.NetAddr).port, [], {
    tls: { ca: await Deno.readTextFile(certs.ca), alpn: ["x-amzn-mqtt-ca"] },
    subscriptions: [],
  });
  await session.start();
  try {
    using conn = await listener.accept();
    assertEquals((await conn.handshake()).alpnProtocol, "x-amzn-mqtt-ca");
  } finally {
    await session.stop();
  }
});
