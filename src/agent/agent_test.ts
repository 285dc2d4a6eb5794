import { assert, assertEquals, assertMatch } from "../../tests/support/assert.ts";
import { ManualClock } from "../../tests/support/clock.ts";
import { testConfig, wiringOf } from "../../tests/support/context.ts";
import { until } from "../../tests/support/poll.ts";
import { Agent } from "./agent.ts";
import type {
  Capability,
  CapabilityName,
  CapabilitySpec,
  RestartKey,
  StopReason,
} from "../capability.ts";
import { type Config, validateConfig } from "../config/mod.ts";
import { memoryLogger } from "../log/logger.ts";
import { needs } from "../permissions.ts";

const config = (extra: Record<string, unknown> = {}) =>
  testConfig({ mac: "AA", disable_mqtt: true, ...extra });

/** A capability that records its lifecycle; `failures` start() calls fail first. */
class Recorder implements Capability {
  constructor(
    readonly name: CapabilityName,
    private readonly events: string[],
    private readonly failures: { left: number },
  ) {}
  start() {
    this.events.push(`start ${this.name}`);
    if (this.failures.left-- > 0) return Promise.reject(new Error("boom"));
    return Promise.resolve();
  }
  stop(reason?: StopReason) {
    this.events.push(`stop ${this.name}${reason === "reload" ? " (reload)" : ""}`);
    return Promise.resolve();
  }
  state() {
    return `${this.name} fine`;
  }
}

interface RecorderOptions {
  failures?: number;
  restartOn?: RestartKey[];
  uses?: CapabilityName[];
  off?: (config: Config) => string | undefined;
  read?: (config: Config) => string[];
}

function recorder(name: CapabilityName, events: string[], o: RecorderOptions = {}) {
  const failures = { left: o.failures ?? 0 };
  const spec: CapabilitySpec = {
    name,
    restartOn: o.restartOn ?? [],
    uses: o.uses,
    off: o.off,
    needs: (config) => ({ flags: needs({ read: o.read?.(config) ?? [] }) }),
    build: (ctx) => {
      ctx.commands.register({
        name: `${name}-info`,
        description: "test",
        capability: name,
        run: () => name,
      });
      return new Recorder(name, events, failures);
    },
  };
  return spec;
}

function agentWith(specs: CapabilitySpec[], options: { clock?: ManualClock } = {}) {
  const { log, lines } = memoryLogger();
  let next: unknown = { mac: "AA", disable_mqtt: true };
  const agent = new Agent({
    config: config(),
    configPath: "/nonexistent.json",
    log,
    controlSocket: null,
    io: options.clock ? { clock: options.clock } : undefined,
    loadConfig: () => Promise.resolve(validateConfig(next)),
  }, wiringOf(specs));
  return { agent, lines, setNext: (value: unknown) => next = value };
}

Deno.test("capabilities start in order and stop in reverse; stop is idempotent", async () => {
  const events: string[] = [];
  const { agent } = agentWith(
    ["spool", "collect", "uplink"].map((n) => recorder(n as CapabilityName, events)),
  );
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

Deno.test("a capability failing to start is reported, retried with backoff, and comes up", async () => {
  const clock = new ManualClock();
  const events: string[] = [];
  const { agent, lines } = agentWith([
    recorder("spool", events, { failures: 2 }),
    recorder("collect", events),
  ], { clock });
  await agent.start();
  assert(!agent.isRunning("spool"));
  assert(agent.isRunning("collect"));
  assertMatch(agent.states().spool, /^failed to start: boom \(attempt 1, retrying\)$/);
  assertEquals(lines.filter((l) => /ERROR test spool failed to start/.test(l)).length, 1);
  const answer = await agent.commands.execute({ command: "spool-info" });
  assertEquals([answer.code, answer.message], [
    503,
    "spool failed to start: boom (attempt 1, retrying)",
  ]);
  // 5 s ±20 %, then 10 s ±20 %: the second failure is the same reason, logged at debug only.
  await clock.advance(6_000);
  await until(() => /attempt 2/.test(agent.states().spool), "the second attempt");
  await clock.advance(12_000);
  await until(() => agent.isRunning("spool"), "spool running after its third attempt");
  assertEquals(lines.filter((l) => /ERROR test spool failed to start/.test(l)).length, 1);
  assert(lines.some((l) => /INFO test spool started attempts=3/.test(l)), lines.join("\n"));
  assertEquals((await agent.commands.execute({ command: "spool-info" })).code, 200);
  await agent.stop();
});

Deno.test("a capability that uses a failed one is retried as soon as it comes up", async () => {
  const clock = new ManualClock();
  const events: string[] = [];
  const { agent } = agentWith([
    recorder("spool", events, { failures: 1 }),
    recorder("uplink", events, { failures: 1, uses: ["spool"] }),
  ], { clock });
  await agent.start();
  assertEquals([agent.isRunning("spool"), agent.isRunning("uplink")], [false, false]);
  await clock.advance(6_000);
  await until(() => agent.isRunning("spool") && agent.isRunning("uplink"), "both running");
  await agent.stop();
});

Deno.test({
  name: "a capability whose permission is missing is disabled with one log line",
  permissions: { read: ["/allowed"], env: true },
  fn: async () => {
    const events: string[] = [];
    const { agent, lines } = agentWith([
      recorder("jobs", events, { read: () => ["/denied/state"] }),
      recorder("collect", events, { read: () => ["/allowed"] }),
    ]);
    await agent.start();
    assert(!agent.isRunning("jobs"));
    assert(agent.isRunning("collect"));
    assertEquals(agent.states().jobs, "disabled: missing --allow-read=/denied/state");
    assertEquals(lines.filter((l) => l.includes("jobs disabled")).length, 1);
    assertEquals(
      (await agent.commands.execute({ command: "jobs-info" })).message,
      "jobs disabled: missing --allow-read=/denied/state",
    );
    await agent.stop();
  },
});

Deno.test("commands of a capability that is off or still starting answer 503 with why", async () => {
  const events: string[] = [];
  const gate = Promise.withResolvers<void>();
  const slow: CapabilitySpec = {
    ...recorder("collect", events),
    build: (ctx) => {
      ctx.commands.register({
        name: "collect",
        description: "test",
        capability: "collect",
        run: () => 1,
      });
      return {
        name: "collect",
        start: () => gate.promise,
        stop: () => Promise.resolve(),
        state: () => "",
      };
    },
  };
  const { agent } = agentWith([
    recorder("mqtt", events, { off: () => "disable_mqtt is set" }),
    slow,
  ]);
  const starting = agent.start();
  await until(
    async () => (await agent.commands.execute({ command: "collect" })).code === 503,
    "503",
  );
  assertEquals(await agent.commands.execute({ command: "collect" }), {
    status: "warning",
    code: 503,
    message: "collect starting",
  });
  assertEquals(
    (await agent.commands.execute({ command: "mqtt-info" })).message,
    "mqtt off: disable_mqtt is set",
  );
  gate.resolve();
  await starting;
  assertEquals((await agent.commands.execute({ command: "collect" })).code, 200);
  assertEquals(agent.states().mqtt, "off: disable_mqtt is set");
  assertEquals(events, [], "an off capability is built, never started");
  await agent.stop();
});

Deno.test("control commands: status, config redacted, log-level", async () => {
  const { agent } = agentWith([recorder("collect", [])]);
  await agent.start();
  const status = await agent.commands.execute({ command: "status" });
  assertEquals([status.status, status.code], ["ok", 200]);
  const state = status["agent-status"] as Record<string, unknown>;
  assertEquals([state.collect, state.mac, state.pid], ["collect fine", "AA", Deno.pid]);
  const shown = await agent.commands.execute({ command: "config" });
  assertEquals((shown.config as Record<string, unknown>).mac, "AA");
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
  const { agent, setNext } = agentWith([recorder("collect", events, { restartOn: ["qos"] })]);
  await agent.start();
  setNext({ qos: 9 });
  const refused = await agent.reload();
  assert(!refused.ok);
  assertEquals(agent.config.qos, 1);
  assertEquals(events, ["start collect"]);
  setNext({ mac: "AA", disable_mqtt: true, qos: 2 });
  const accepted = await agent.reload();
  assert(accepted.ok);
  assertEquals(agent.config.qos, 2);
  assertEquals(events, ["start collect", "stop collect (reload)", "start collect"]);
  await agent.stop();
});

Deno.test("reload restarts only what its change touches, and what uses it", async () => {
  const events: string[] = [];
  const { agent, setNext } = agentWith([
    recorder("spool", events, { restartOn: ["cache_dir"] }),
    recorder("uplink", events, { restartOn: ["stats_url"], uses: ["spool"] }),
    recorder("mqtt", events, { restartOn: ["mqtt_host"] }),
    recorder("jobs", events, { restartOn: ["state_dir"], read: (c) => [c.state_dir] }),
  ]);
  await agent.start();
  events.length = 0;
  // job_timeout is read live: nothing restarts, and the running capabilities see it.
  setNext({ mac: "AA", disable_mqtt: true, job_timeout: 7 });
  const live = await agent.reload();
  assertEquals(live.ok && live.restarted, []);
  assertEquals(agent.config.job_timeout, 7);
  setNext({ mac: "AA", disable_mqtt: true, job_timeout: 7, cache_dir: "/tmp/other" });
  const cache = await agent.reload();
  assertEquals(cache.ok && cache.restarted, ["spool", "uplink"]);
  assertEquals(events, [
    "stop uplink (reload)",
    "stop spool (reload)",
    "start spool",
    "start uplink",
  ]);
  await agent.stop();
});

Deno.test("two agents in one process share nothing", async () => {
  const a = agentWith([recorder("collect", [])]);
  const b = agentWith([recorder("collect", [])]);
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
