/** A whole agent (replies, jobs, mqtt) in-process against an in-process aedes: no mosquitto. */
import { assertEquals } from "./support/assert.ts";
import { startAedes } from "./support/aedes.ts";
import { until } from "./support/mosquitto.ts";
import { tempDir } from "./support/process.ts";
import { Agent } from "../src/agent.ts";
import { validateConfig } from "../src/config/mod.ts";
import { memoryLogger } from "../src/log/logger.ts";

Deno.test("aedes: a job round trip through a whole agent", async () => {
  await using broker = await startAedes();
  await using state = await tempDir();
  const validation = validateConfig({
    mac: "00:11:22:33:44:55",
    topic: "fleet",
    key: "k3y-s3cr3t",
    mqtt_host: "127.0.0.1",
    port: broker.port,
    state_dir: state.path,
  });
  if (!validation.ok) throw new Error(validation.errors.join());
  const { log, lines } = memoryLogger();
  const agent = new Agent({ config: validation.config, configPath: "-", log, controlSocket: null });
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
  assertEquals(lines.filter((l) => l.includes("k3y-s3cr3t")), []);
});
