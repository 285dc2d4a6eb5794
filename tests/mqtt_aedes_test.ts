/** A whole agent (replies, jobs, mqtt) in-process against an in-process aedes: no mosquitto. */
import { assert, assertEquals } from "./support/assert.ts";
import { startAedes } from "./support/aedes.ts";
import { testAgent, testConfig, testContext } from "./support/context.ts";
import { until } from "./support/poll.ts";
import { tempDir } from "./support/process.ts";
import { type Clock, systemClock } from "../src/io/mod.ts";
import { MqttCapability } from "../src/mqtt/mod.ts";
import { RepliesCapability } from "../src/replies/mod.ts";

/** A device on the in-process broker: topics t/k/AA unless `keys` say otherwise. */
function deviceConfig(port: number, stateDir: string, keys: Record<string, unknown> = {}) {
  return testConfig({
    mac: "AA",
    topic: "t",
    key: "k",
    mqtt_host: "127.0.0.1",
    port,
    state_dir: stateDir,
    cache_dir: `${stateDir}/cache`,
    scan: 0,
    ...keys,
  });
}

Deno.test("aedes: a job round trip through a whole agent, and a quiet goodbye", async () => {
  await using broker = await startAedes();
  await using state = await tempDir();
  const config = deviceConfig(broker.port, state.path, {
    mac: "00:11:22:33:44:55",
    topic: "fleet",
    key: "k3y-s3cr3t",
  });
  const { agent, lines } = testAgent(config);
  await agent.start();
  try {
    const tail = "fleet/k3y-s3cr3t/00:11:22:33:44:55";
    await until(() => broker.subscribed.has(`sub/${tail}`), "the agent to subscribe");
    assertEquals(broker.subscribed.get(`sub/${tail}`), "ledge-00:11:22:33:44:55");
    const job = { id: "a-1", timestamp: 1, meta: { msg: "printf aedes", type: "command" } };
    await broker.publish(`sub/${tail}`, JSON.stringify(job));
    await until(() => broker.published.some((m) => m.startsWith(`pub/${tail}`)), "the result");
    const replies = broker.published.filter((m) => /^(delivery|pub)\//.test(m))
      .map((m) => [m.split(" ")[0].split("/")[0], JSON.parse(m.slice(m.indexOf(" ") + 1))]);
    assertEquals(replies.map(([topic, r]) => [topic, r.id, r.event_type]), [
      ["delivery", "a-1", "DELIVERED"],
      ["pub", "a-1", "PROCESSED"],
    ]);
    assertEquals(replies[1][1].meta.msg, "aedes");
    assertEquals(broker.published[0].split(" ")[0], `status/${tail}`);
    const info = await agent.commands.execute({ command: "mqtt-info" });
    assertEquals((info["mqtt-info"] as { connected: boolean }).connected, true);
  } finally {
    await agent.stop();
  }
  // A graceful stop says goodbye itself (the broker drops the will) and warns of nothing.
  const last = broker.published.at(-1)!;
  assertEquals(last.split(" ")[0], "status/fleet/k3y-s3cr3t/00:11:22:33:44:55");
  assertEquals(JSON.parse(last.slice(last.indexOf(" ") + 1)).meta.online, "0");
  assertEquals(lines.filter((l) => /^(WARN|ERROR) (mqtt|replies|jobs) /.test(l)), []);
  assertEquals(lines.filter((l) => l.includes("k3y-s3cr3t")), []);
});

Deno.test("aedes + REST: pings on MQTT only, results PATCHed as SocketMan, DELIVERED stays on MQTT", async () => {
  await using broker = await startAedes();
  await using state = await tempDir();
  const posts: string[] = [];
  const api = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    posts.push(`${req.method} ${url.pathname}${url.search} ${await req.text()}`);
    return new Response("{}");
  });
  // The ping interval's sleep ends when the test says so; every other sleep is real.
  let tick: (() => void) | undefined;
  const clock: Clock = {
    ...systemClock,
    sleep: (ms, signal) =>
      ms !== 37_000 ? systemClock.sleep(ms, signal) : new Promise((resolve, reject) => {
        tick = resolve;
        signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
      }),
  };
  const config = deviceConfig(broker.port, state.path, {
    key: "k3y-s3cr3t",
    rest: 1,
    api_url: `http://127.0.0.1:${api.addr.port}/api`,
    token: "t0k3n-s3cr3t",
    "ping-interval": 37, // a period no other capability sleeps for
    app: "ledge-test",
  });
  const { agent } = testAgent(config, { clock });
  await agent.start();
  try {
    await until(() => broker.subscribed.has("sub/t/k3y-s3cr3t/AA"), "the agent to subscribe");
    // The broker has the subscription before the agent has its SUBACK (and calls itself
    // connected); the ping loop may start its sleep later still.
    await until(() => agent.counters.get("mqtt-connects") === 1, "the agent to be connected");
    await until(() => tick !== undefined, "the ping loop to sleep");
    tick!();
    await until(() => broker.published.some((m) => /"PING"/.test(m)), "a ping on status/");
    const ping = broker.published.find((m) => /"PING"/.test(m))!;
    assertEquals(ping.split(" ")[0], "status/t/k3y-s3cr3t/AA");
    assertEquals(JSON.parse(ping.slice(ping.indexOf(" ") + 1)).app, "ledge-test");

    const job = { id: "r-1", timestamp: 1, meta: { msg: "echo rest", type: "command" } };
    await broker.publish("sub/t/k3y-s3cr3t/AA", JSON.stringify(job));
    await until(() => posts.length > 0, "the result sent to the API");
    const [method, target, ...body] = posts[0].split(" ");
    assertEquals([method, target], ["PATCH", "/api/operations/r-1?access_token=t0k3n-s3cr3t"]);
    assertEquals(JSON.parse(body.join(" ")), {
      success: true,
      msg: "rest\n",
      output: "rest\n",
      exit_code: 0,
      event_type: "PROCESSED",
    });
    // The ping went out before the job: SocketMan never sent one to the API, nor does ledge.
    assertEquals(posts.filter((p) => /PING/.test(p)), []);
    assert(broker.published.some((m) => /^delivery\/.*"r-1".*DELIVERED/.test(m)));
    assert(!broker.published.some((m) => m.startsWith("pub/")), "no result on pub/ in REST mode");
  } finally {
    await agent.stop();
    await api.shutdown();
  }
});

Deno.test("aedes: garbage on the job topic is refused and the agent goes on", async () => {
  await using broker = await startAedes();
  await using state = await tempDir();
  const { agent } = testAgent(deviceConfig(broker.port, state.path));
  await agent.start();
  try {
    await until(() => broker.subscribed.has("sub/t/k/AA"), "the agent to subscribe");
    const garbage = [
      "",
      "not json",
      "[]",
      "null",
      '{"id":""}',
      '{"id":"g1"}',
      '{"id":"g2","meta":{"msg":true}}',
      "\uFFFD\u0000\u001b[2J",
      "{".repeat(10_000),
      JSON.stringify({ id: "g3", timestamp: 1, meta: { msg: "x".repeat(70 * 1024) } }),
    ];
    for (const payload of garbage) await broker.publish("sub/t/k/AA", payload);
    await broker.publish(
      "sub/t/k/AA",
      JSON.stringify({ id: "ok", timestamp: 1, meta: { msg: "echo fine" } }),
    );
    await until(() => broker.published.some((m) => /^pub\/.*"ok".*PROCESSED/.test(m)), "ok");
    const rejected = broker.published.filter((m) => /^pub\/.*REJECTED/.test(m)).length;
    assert(rejected >= 3, `${rejected} REJECTED for ids g1, g2, g3`);
    assertEquals(agent.counters.get("mqtt-messages-in"), garbage.length + 1);
    assert(agent.isRunning("mqtt") && agent.isRunning("jobs"));
  } finally {
    await agent.stop();
  }
});

Deno.test("aedes: a job is acknowledged to the broker only once the sink has taken it", async () => {
  await using broker = await startAedes();
  await using state = await tempDir();
  const ctx = testContext(deviceConfig(broker.port, state.path));
  const replies = new RepliesCapability(ctx, { transport: () => mqtt.replyTransport });
  let taken: () => void = () => {};
  const received: string[] = [];
  const mqtt: MqttCapability = new MqttCapability(ctx, {
    onJob: (payload) => {
      received.push(new TextDecoder().decode(payload));
      return new Promise((resolve) => taken = () => resolve());
    },
    onConnect: () => replies.channel.drain(),
    repliesWaiting: () => replies.channel.waiting,
  });
  await replies.start();
  await mqtt.start();
  try {
    await until(() => broker.subscribed.has("sub/t/k/AA"), "the agent to subscribe");
    await broker.publish("sub/t/k/AA", "job-a");
    await until(() => received.length === 1, "the sink to get the job");
    // Something the agent sends after it got the job: on one TCP stream, an early PUBACK
    // would have reached the broker before it.
    replies.channel.send("delivery", { id: "job-a", event_type: "DELIVERED" });
    await until(() => broker.published.some((m) => m.startsWith("delivery/")), "DELIVERED");
    assertEquals(broker.acked, [], "the broker still holds the job: a crash would re-deliver it");
    taken();
    await until(() => broker.acked.length === 1, "the PUBACK");
    assertEquals(broker.acked, ["sub/t/k/AA job-a"]);
  } finally {
    await mqtt.stop();
    await replies.stop();
  }
});
