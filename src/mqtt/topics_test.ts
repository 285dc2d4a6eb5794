import { assertEquals } from "../../tests/support/assert.ts";
import { clientIdFor, jobTopics, pingEvent, presenceEvent, redactTopic } from "./topics.ts";

Deno.test("topics are SocketMan's (and desired state's), with the mac as written", () => {
  assertEquals(jobTopics("acme", "s3cr3t", "AA:bb:01"), {
    sub: "sub/acme/s3cr3t/AA:bb:01",
    delivery: "delivery/acme/s3cr3t/AA:bb:01",
    pub: "pub/acme/s3cr3t/AA:bb:01",
    status: "status/acme/s3cr3t/AA:bb:01",
    config: "config/acme/s3cr3t/AA:bb:01",
    state: "state/acme/s3cr3t/AA:bb:01",
  });
});

Deno.test("a logged topic hides the key, even when the topic has levels of its own", () => {
  assertEquals(redactTopic("sub/acme/s3cr3t/AA"), "sub/acme/***/AA");
  assertEquals(redactTopic("pub/a/b/s3cr3t/AA"), "pub/a/b/***/AA");
});

Deno.test("connect, will and ping have SocketMan's shapes", () => {
  const id = clientIdFor("AA");
  assertEquals(id, "ledge-AA");
  assertEquals(presenceEvent("socketman", id, true, 17), {
    app: "socketman",
    timestamp: 17,
    event_type: "CONNECT",
    meta: { online: "1", client_id: "ledge-AA" },
  });
  assertEquals(presenceEvent("x", id, false, 18).meta.online, "0");
  assertEquals(pingEvent("x", 19), { timestamp: 19, app: "x", event_type: "PING" });
});
