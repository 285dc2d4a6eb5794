/**
 * The agent's lifecycle under stress: commands asked while it starts, a reload while a job
 * runs, a capability that cannot start until its directory is fixed.
 */
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { ManualClock } from "./support/clock.ts";
import { testAgent, testConfig } from "./support/context.ts";
import { ask } from "./support/control.ts";
import { publish, startBroker, subscribe } from "./support/mosquitto.ts";
import { until } from "./support/poll.ts";
import { runLedge, spawnLedge, tempDir } from "./support/process.ts";
import { startStatsApi } from "./support/stats_api.ts";

const MAC = "AA-BB-CC-00-11-33";
const TAIL = `acme/k3y/${MAC}`;

async function writeConfig(dir: string, keys: Record<string, unknown>): Promise<string> {
  const path = `${dir}/config.json`;
  await Deno.writeTextFile(
    path,
    JSON.stringify({
      mac: MAC,
      topic: "acme",
      key: "k3y",
      mqtt_host: "127.0.0.1",
      control_socket: `${dir}/ctl.sock`,
      state_dir: `${dir}/state`,
      cache_dir: `${dir}/cache`,
      dhcp_leases: `${dir}/leases`,
      scan: 0,
      reboot: 0,
      recovery_cmd: "/bin/true",
      ...keys,
    }),
  );
  return path;
}

async function preset(config: string): Promise<string[]> {
  const { stdout, code, stderr } = await runLedge(
    ["check-config", config, "--print-permissions"],
    [`--allow-read=${config}`],
  );
  assertEquals(code, 0, stderr);
  return stdout.trim().split(" ");
}

Deno.test("while the agent starts, its commands answer 503 with why, never 'unknown command'", async () => {
  await using dir = await tempDir();
  await using broker = await startBroker();
  // MQTT's start reads the CA file: a FIFO holds it there until the test writes to it.
  const ca = `${dir.path}/ca.fifo`;
  await new Deno.Command("mkfifo", { args: [ca] }).output();
  const config = await writeConfig(dir.path, { port: broker.port, tls: 1, cacrt: ca });
  const agent = spawnLedge(["run", `--config=${config}`], { flags: await preset(config) });
  const socket = `${dir.path}/ctl.sock`;
  try {
    await until(() => Deno.lstat(socket).then(() => true, () => false), "the socket");
    const commands = ["mqtt-info", "collect", "jobs", "health", "flush", "status"];
    const early = await Promise.all(commands.map((command) => ask(socket, { command })));
    for (const answer of early) {
      assert(answer.message !== "unknown command", JSON.stringify(answer));
    }
    assertEquals(early[0], { status: "warning", code: 503, message: "mqtt starting" });
    assertEquals(((early.at(-1)!)["agent-status"] as Record<string, string>).mqtt, "starting");
    const writer = await Deno.open(ca, { write: true });
    await writer.write(new TextEncoder().encode("not a certificate, and that is fine here\n"));
    writer.close();
    await until(
      async () => (await ask(socket, { command: "mqtt-info" })).code === 200,
      "mqtt-info",
    );
  } finally {
    agent.kill("SIGTERM");
    await agent.status;
  }
});

Deno.test("a reload lets a running job finish and keeps the MQTT session when MQTT did not change", async () => {
  await using dir = await tempDir();
  await using broker = await startBroker();
  await using watch = await subscribe(broker.port, [
    `status/${TAIL}`,
    `delivery/${TAIL}`,
    `pub/${TAIL}`,
  ]);
  const config = await writeConfig(dir.path, { port: broker.port, monitor: 15 });
  const agent = spawnLedge(["run", `--config=${config}`], { flags: await preset(config) });
  try {
    await watch.waitFor(/^status\/.*"online":"1"/);
    const job = {
      id: "long",
      timestamp: Math.floor(Date.now() / 1000),
      meta: { msg: "sleep 2; echo done" },
    };
    await publish(broker.port, `sub/${TAIL}`, JSON.stringify(job));
    await watch.waitFor(/^delivery\/.*"long"/);
    // A change no MQTT key is part of: the session stays, the job goes on.
    await writeConfig(dir.path, { port: broker.port, monitor: 30 });
    agent.kill("SIGHUP");
    const reloaded = await agent.waitFor(/config reloaded/);
    assertMatch(reloaded, /restarted=none/);
    const result = await watch.waitFor(/^pub\/.*"long"/);
    assertMatch(result, /"event_type":"PROCESSED"/);
    assertMatch(result, /"msg":"done\\n"/);
    const presence = watch.messages.filter((m) => m.startsWith("status/"));
    assertEquals(presence.filter((m) => m.includes('"online":"0"')), [], presence.join("\n"));
    assertEquals(presence.filter((m) => m.includes('"online":"1"')).length, 1);
  } finally {
    agent.kill("SIGTERM");
    await agent.status;
  }
});

Deno.test("an unusable cache_dir: samples counted as dropped, and the cache comes up once fixed", async () => {
  await using dir = await tempDir();
  await using api = startStatsApi();
  // A file where a directory should be: mkdir fails (root ignores mode bits, not this).
  const blocker = `${dir.path}/blocker`;
  await Deno.writeTextFile(blocker, "");
  const clock = new ManualClock();
  const config = testConfig({
    mac: MAC,
    disable_mqtt: true,
    stats_url: api.url,
    cache_dir: `${blocker}/cache`,
    scan: 0,
    dhcp_leases: `${dir.path}/leases`,
  });
  const { agent } = testAgent(config, { clock }, ["spool", "uplink", "collect"]);
  await agent.start();
  try {
    assertMatch(agent.states().spool, /^failed to start: .*\(attempt 1, retrying\)$/);
    const flush = await agent.commands.execute({ command: "flush" });
    assertEquals(flush.code, 503);
    assertMatch(String(flush.message), /^uplink failed to start: the cache is not running/);
    await agent.commands.execute({ command: "collect" });
    assertEquals(agent.counters.get("stats-dropped"), 1, "a sample with nowhere to go is counted");
    await Deno.remove(blocker);
    await clock.advance(6_000);
    await until(() => agent.isRunning("spool") && agent.isRunning("uplink"), "spool and uplink");
    await agent.commands.execute({ command: "collect" });
    const flushed = await agent.commands.execute({ command: "flush" });
    assertEquals([flushed.code, (flushed.flush as { sent: number }).sent], [200, 1]);
    assertEquals(agent.counters.get("stats-cached"), 1);
  } finally {
    await agent.stop();
  }
});
