import { assertEquals } from "../../tests/support/assert.ts";
import { ManualClock } from "../../tests/support/clock.ts";
import { Counters } from "../counters.ts";
import { memoryLogger } from "../log/logger.ts";
import { PublishRefused } from "./connection.ts";
import { MqttReplies, type ReplySession } from "./replies.ts";
import type { SessionSend } from "./session.ts";
import { jobTopics } from "./topics.ts";

/** A session that records what is published, and refuses what `refuse` names. */
function recordingSession(refuse: (topic: string) => boolean = () => false) {
  const sent: { topic: string; options: SessionSend }[] = [];
  const session: ReplySession = {
    connected: true,
    brokerMaxPacket: 2048,
    publish: (topic, _payload, options = {}) => {
      sent.push({ topic, options });
      const acked = refuse(topic)
        ? Promise.reject(new PublishRefused(0x87, "not authorized"))
        : Promise.resolve();
      return { acked, written: undefined };
    },
  };
  return { session, sent };
}

function replies(session: ReplySession, expiryS = 0) {
  const counters = new Counters();
  const { log, lines } = memoryLogger();
  const clock = new ManualClock();
  const topics = jobTopics("acme", "k", "AA");
  const transport = new MqttReplies(() => ({ session, topics }), {
    expiryS: () => expiryS,
    log,
    counters,
    clock,
  });
  return { transport, counters, lines, clock };
}

const route = {
  responseTopic: "answers/1",
  correlation: "AQL6",
  userProperties: [["trace", "t-1"]] as [string, string][],
};

Deno.test("a result with a route: pub/... and its response topic, with correlation data and user properties", async () => {
  const { session, sent } = recordingSession();
  const { transport } = replies(session, 600);
  await transport.deliver("delivery", { id: "j", event_type: "DELIVERED" }, route).acked;
  await transport.deliver("result", { id: "j", event_type: "PROCESSED" }, route).acked;
  const user = { userProperties: [["trace", "t-1"]], messageExpiry: 600 };
  assertEquals(sent, [
    { topic: "delivery/acme/k/AA", options: { key: "delivery:j", properties: user } },
    { topic: "pub/acme/k/AA", options: { key: "result:j", properties: user } },
    {
      topic: "answers/1",
      options: {
        key: "response:j",
        properties: { ...user, correlationData: new Uint8Array([1, 2, 250]) },
      },
    },
  ]);
});

Deno.test("a response topic the broker refuses does not hold the reply: counted, said once a minute", async () => {
  const { session } = recordingSession((topic) => topic.startsWith("answers/"));
  const { transport, counters, lines, clock } = replies(session);
  for (const id of ["a", "b"]) {
    await transport.deliver("result", { id, event_type: "PROCESSED" }, route).acked;
  }
  assertEquals(counters.get("mqtt-answers-refused"), 2);
  assertEquals(lines.filter((l) => l.includes("refused on its response topic")).length, 1);
  await clock.advance(60_000);
  assertEquals(lines.at(-1), "WARN test 1 more results refused on response topics");
  transport.close();
});

Deno.test("a refused pub/... reply is still refused: the outbox keeps it", async () => {
  const { session } = recordingSession((topic) => topic.startsWith("pub/"));
  const { transport } = replies(session);
  const refused = await transport.deliver("result", { id: "a", event_type: "PROCESSED" }, route)
    .acked.then(() => undefined, (error) => error);
  assertEquals((refused as PublishRefused).reason, 0x87);
});

Deno.test("the largest reply: the broker's limit less the longer topic, the header and the route", () => {
  const { session } = recordingSession();
  const { transport } = replies(session);
  const pub = "pub/acme/k/AA".length;
  assertEquals(transport.maxBytes(), 2048 - 24 - pub);
  const long = { responseTopic: "answers/" + "x".repeat(100) };
  assertEquals(
    transport.maxBytes(long),
    2048 - 24 - long.responseTopic.length - JSON.stringify(long).length,
  );
});
