/**
 * The mqtt capability in-process against a private mosquitto: presence, jobs in, replies
 * out, and the outbox across a broker crash. The jobs service is a stand-in here.
 */
import { assert, assertEquals } from "./support/assert.ts";
import { publish, startBroker, subscribe } from "./support/mosquitto.ts";
import { until } from "./support/poll.ts";
import { tempDir } from "./support/process.ts";
import { testConfig, testContext } from "./support/context.ts";
import { MqttCapability } from "../src/mqtt/mod.ts";
import { RepliesCapability } from "../src/replies/mod.ts";

const MAC = "AA-BB-CC-00-11-22";
const TAIL = `acme/s3cr3tkey/${MAC}`;

Deno.test("session: presence, a job in, replies out, outbox across a broker crash", async () => {
  await using broker = await startBroker({ persistent: true });
  await using state = await tempDir();
  // A persistent subscriber: the broker keeps its messages across the crash and restart.
  await using watch = await subscribe(
    broker.port,
    [`status/${TAIL}`, `delivery/${TAIL}`, `pub/${TAIL}`],
    ["-c", "-i", "ledge-test-watch"],
  );
  const ctx = testContext(testConfig({
    topic: "acme",
    key: "s3cr3tkey",
    mac: MAC,
    mqtt_host: "127.0.0.1",
    port: broker.port,
    state_dir: state.path,
    reconnect_max: 2,
  }));
  const replies = new RepliesCapability(ctx, { transport: () => mqtt.replyTransport });
  const jobs: string[] = [];
  const mqtt: MqttCapability = new MqttCapability(ctx, {
    onJob: (job) => {
      jobs.push(new TextDecoder().decode(job));
      return Promise.resolve();
    },
    onConnect: () => replies.channel.drain(),
    repliesWaiting: () => replies.channel.waiting,
  });
  await replies.start();
  await mqtt.start();
  try {
    const connect = JSON.parse(
      (await watch.waitFor(/^status\/.* \{/)).split(" ").slice(1).join(" "),
    );
    assertEquals(connect.event_type, "CONNECT");
    assertEquals(connect.meta, { online: "1", client_id: `ledge-${MAC}` });

    await publish(broker.port, `sub/${TAIL}`, '{"id":"j1"}');
    await until(() => jobs.length === 1, "the job to reach the sink");
    assertEquals(jobs, ['{"id":"j1"}']);
    replies.channel.send("delivery", { id: "j1", event_type: "DELIVERED" });
    replies.channel.send("result", { id: "j1", event_type: "PROCESSED" });
    await watch.waitFor(/^delivery\/.*"id":"j1"/);
    await watch.waitFor(/^pub\/.*"id":"j1"/);

    const info = await ctx.commands.execute({ command: "mqtt-info" });
    const shown = JSON.stringify(info);
    assert(!shown.includes("s3cr3tkey"), shown);
    assertEquals(
      (info["mqtt-info"] as { topics: { sub: string } }).topics.sub,
      `sub/acme/***/${MAC}`,
    );

    await broker.kill();
    await until(() => !mqtt.state().startsWith("connected"), "the session to notice");
    replies.channel.send("result", { id: "j2", event_type: "PROCESSED" });
    replies.channel.send("result", { id: "j3", event_type: "PROCESSED" });
    await until(
      async () =>
        (await Deno.readTextFile(`${state.path}/outbox.jsonl`).catch(() => "")).includes("j3"),
      "the outbox on disk",
    );
    await broker.restart();
    const j2 = await watch.waitFor(/"id":"j2"/);
    const j3 = await watch.waitFor(/"id":"j3"/);
    assert(watch.messages.indexOf(j2) < watch.messages.indexOf(j3), "sent in order");
    assertEquals(ctx.counters.get("mqtt-connects"), 2);
    assertEquals(ctx.counters.get("mqtt-disconnects"), 1);
    assert(ctx.lines.every((l) => !l.includes("s3cr3tkey")), ctx.lines.join("\n"));
  } finally {
    await mqtt.stop();
    await replies.stop();
  }
});
