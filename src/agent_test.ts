import { assert, assertEquals, assertMatch } from "../tests/support/assert.ts";
import { Agent } from "./agent.ts";
import type { Capability } from "./capability.ts";
import { type CapabilityName, validateConfig } from "./config/mod.ts";
import { memoryLogger } from "./log/logger.ts";

function config(extra: Record<string, unknown> = {}) {
  const result = validateConfig({ mac: "AA", disable_mqtt: true, ...extra });
  if (!result.ok) throw new Error(result.errors.join());
  return result.config;
}

class Recorder implements Capability {
  constructor(
    readonly name: CapabilityName,
    private readonly events: string[],
    private readonly failStart = false,
  ) {}
  start() {
    this.events.push(`start ${this.name}`);
    return this.failStart ? Promise.reject(new Error("boom")) : Promise.resolve();
  }
  stop() {
    this.events.push(`stop ${this.name}`);
    return Promise.resolve();
  }
  state() {
    return `${this.name} fine`;
  }
}

function agentWith(names: CapabilityName[], failing: CapabilityName[] = []) {
  const events: string[] = [];
  const { log, lines } = memoryLogger();
  const agent = new Agent(
    { config: config(), configPath: "/nonexistent.json", log, controlSocket: null },
    () => names.map((n) => new Recorder(n, events, failing.includes(n))),
  );
  return { agent, events, lines };
}

Deno.test("capabilities start in order and stop in reverse; stop is idempotent", async () => {
  const { agent, events } = agentWith(["spool", "collect", "uplink"]);
  await agent.start();
  await Promise.all([agent.stop(), agent.stop()]);
  await agent.stopped;
  assertEquals(events, [
    "start spool",
    "start collect",
    "start uplink",
    "stop uplink",
    "stop collect",
    "stop spool",
  ]);
});

Deno.test("a capability failing to start is reported and the others run", async () => {
  const { agent, lines } = agentWith(["spool", "collect"], ["spool"]);
  await agent.start();
  assert(!agent.isRunning("spool"));
  assert(agent.isRunning("collect"));
  assertEquals(agent.states(), { spool: "failed to start: boom", collect: "collect fine" });
  assert(lines.some((l) => /ERROR test spool failed to start error=boom/.test(l)), lines.join());
  await agent.stop();
});

Deno.test({
  name: "a capability whose permission is missing is disabled with one log line",
  // Narrower than the runner: no write access at all, so the journal's state_dir is denied.
  permissions: { read: true, write: false, env: true },
  fn: async () => {
    const { agent, lines } = agentWith(["jobs", "collect"]);
    await agent.start();
    assert(!agent.isRunning("jobs"));
    assert(agent.isRunning("collect"));
    assertMatch(agent.states().jobs, /^disabled: missing .*--allow-write=\/etc\/ledge\/state/);
    assertEquals(lines.filter((l) => l.includes("jobs disabled")).length, 1);
    await agent.stop();
  },
});

Deno.test("control commands: status, config redacted, log-level, 503 when not running", async () => {
  const { agent } = agentWith(["collect"]);
  agent.commands.register({
    name: "flush",
    capability: "uplink",
    description: "test",
    run: () => 1,
  });
  await agent.start();
  const status = await agent.commands.execute({ command: "status" });
  assertEquals([status.status, status.code], ["ok", 200]);
  const state = status["agent-status"] as Record<string, unknown>;
  assertEquals([state.collect, state.mac, state.pid], ["collect fine", "AA", Deno.pid]);
  const shown = await agent.commands.execute({ command: "config" });
  assertEquals((shown.config as Record<string, unknown>).mac, "AA");
  assertEquals(await agent.commands.execute({ command: "flush" }), {
    status: "warning",
    code: 503,
    message: "uplink not running",
  });
  const level = await agent.commands.execute({
    command: "log-level",
    arguments: { level: "warn" },
  });
  assertEquals(level.code, 200);
  assertEquals(agent.log.core.level, "warn");
  const bad = await agent.commands.execute({ command: "log-level", arguments: { level: "loud" } });
  assertEquals(bad, { status: "error", code: 400, message: "invalid argument level" });
  await agent.stop();
});

Deno.test("reload: an invalid config is refused and the running one kept", async () => {
  const events: string[] = [];
  const { log } = memoryLogger();
  let next: unknown = { qos: 9 };
  const agent = new Agent({
    config: config(),
    configPath: "x",
    log,
    controlSocket: null,
    loadConfig: () => Promise.resolve(validateConfig(next)),
  }, () => [new Recorder("collect", events)]);
  await agent.start();
  const refused = await agent.reload();
  assert(!refused.ok);
  assertEquals(agent.config.qos, 1);
  assertEquals(events, ["start collect"]);
  next = { mac: "AA", disable_mqtt: true, qos: 2 };
  const accepted = await agent.reload();
  assert(accepted.ok);
  assertEquals(agent.config.qos, 2);
  assertEquals(events, ["start collect", "stop collect", "start collect"]);
  await agent.stop();
});

Deno.test("two agents in one process share nothing", async () => {
  const a = agentWith(["collect"]);
  const b = agentWith(["collect"]);
  await a.agent.start();
  await b.agent.start();
  a.agent.counters.inc("jobs-received");
  await a.agent.commands.execute({ command: "log-level", arguments: { level: "error" } });
  assertEquals(b.agent.counters.get("jobs-received"), 0);
  assertEquals(b.agent.log.core.level, "debug");
  await a.agent.stop();
  assert(b.agent.isRunning("collect"));
  await b.agent.stop();
});
