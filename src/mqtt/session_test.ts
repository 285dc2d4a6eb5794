import { assertEquals } from "../../tests/support/assert.ts";
import { Counters } from "../counters.ts";
import { systemClock } from "../io/mod.ts";
import { memoryLogger } from "../log/logger.ts";
import { MqttSession } from "./session.ts";

const CONNACK_ACCEPTED = new Uint8Array([0x20, 0x02, 0x00, 0x00]);

Deno.test("a session stopped while connecting does not connect after all", async () => {
  // A broker that answers CONNECT only when the test says so.
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  const connected: string[] = [];
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
    },
    { onConnect: () => connected.push("connect"), onMessage: () => {} },
    { log: memoryLogger().log, counters: new Counters(), clock: systemClock },
  );
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
