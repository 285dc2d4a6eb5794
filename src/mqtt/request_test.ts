import { assertEquals } from "../../tests/support/assert.ts";
import { encodePublish, PacketReader } from "./packet.ts";
import { encodeProperties, readProperties } from "./properties.ts";
import { envelopeOf, MAX_ROUTE_FIELD_BYTES, MAX_USER_PROPERTIES } from "./request.ts";

Deno.test("envelopeOf: a request's route and its expiry as a monotonic deadline", () => {
  const properties = {
    messageExpiry: 30,
    responseTopic: "answers/é",
    correlationData: new Uint8Array([1, 2, 250]),
    userProperties: [["trace", "t-1"], ["trace", "t-2"]] as [string, string][],
  };
  assertEquals(envelopeOf(properties, 5000), {
    route: {
      responseTopic: "answers/é",
      correlation: "AQL6",
      userProperties: [["trace", "t-1"], ["trace", "t-2"]],
    },
    startBy: 35_000,
  });
  // 3.1.1, or a 5 message with nothing beside its payload: nothing to carry.
  assertEquals(envelopeOf({}, 5000), {});
  assertEquals(envelopeOf({ messageExpiry: 0 }, 5000), { startBy: 5000 });
});

Deno.test("envelopeOf: what cannot be answered or carried is refused, and says why", () => {
  const refusals: [Record<string, unknown>, string][] = [
    [{ responseTopic: "" }, "invalid response topic: empty"],
    [{ responseTopic: "a/+/b" }, "invalid response topic: a wildcard or NUL in it"],
    [{ responseTopic: "a/#" }, "invalid response topic: a wildcard or NUL in it"],
    [{ responseTopic: "a\u0000b" }, "invalid response topic: a wildcard or NUL in it"],
    [{ responseTopic: "$SYS/broker" }, "invalid response topic: a broker topic ($...)"],
    [
      { responseTopic: "sub/acme/key/AA-BB-CC-00-11-23" },
      "invalid response topic: a topic boxes take orders from (sub/, config/)",
    ],
    [
      { responseTopic: "config/acme/key/AA-BB-CC-00-11-23" },
      "invalid response topic: a topic boxes take orders from (sub/, config/)",
    ],
    [
      { responseTopic: "é".repeat(MAX_ROUTE_FIELD_BYTES / 2 + 1) },
      `invalid response topic: over ${MAX_ROUTE_FIELD_BYTES} bytes`,
    ],
    [
      { correlationData: new Uint8Array(MAX_ROUTE_FIELD_BYTES + 1) },
      `invalid correlation data: over ${MAX_ROUTE_FIELD_BYTES} bytes`,
    ],
    [
      { userProperties: Array.from({ length: MAX_USER_PROPERTIES + 1 }, () => ["a", "b"]) },
      "invalid user properties: more than 32 or 4096 bytes",
    ],
    [
      { userProperties: [["a", "x".repeat(4096)]] },
      "invalid user properties: more than 32 or 4096 bytes",
    ],
  ];
  for (const [properties, refused] of refusals) {
    assertEquals(envelopeOf(properties, 0), { refused }, JSON.stringify(properties));
  }
});

Deno.test("a reply's MQTT 5 properties: encoded as a broker reads them", () => {
  const sent = {
    messageExpiry: 600,
    correlationData: new Uint8Array([0, 255]),
    userProperties: [["trace", "t-1"], ["ключ", "значение"]] as const,
  };
  const packet = encodePublish("answers/1", "{}", 1, 7, { version: 5, properties: sent });
  const [read] = new PacketReader(1 << 20, 5).push(packet);
  assertEquals(read, {
    type: "publish",
    topic: "answers/1",
    payload: new TextEncoder().encode("{}"),
    qos: 1,
    dup: false,
    id: 7,
    properties: {
      messageExpiry: 600,
      correlationData: new Uint8Array([0, 255]),
      userProperties: [["trace", "t-1"], ["ключ", "значение"]],
    },
  });
  assertEquals(readProperties(encodeProperties({}), 0), { properties: {}, next: 1 });
});
