import { testContext } from "../../tests/support/context.ts";
import { assert, assertEquals, assertMatch } from "../../tests/support/assert.ts";
import { ManualClock } from "../../tests/support/clock.ts";
import { validateConfig } from "../config/mod.ts";
import type { Exec, ExecRequest, Net } from "../io/mod.ts";
import { FakeFs } from "../../tests/support/fakes.ts";
import { HealthCapability, type HealthDeps, type HealthOptions } from "./capability.ts";

const S = 1000;
const ROUTES = "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n" +
  "eth0\t00000000\t0102A8C0\t0003\t0\t0\t0\t00000000\n";
const TOKEN = "s3cret-token-value";

/** What a test changes: the deps, the options, and when the agent started (monotonic ms). */
type Given = HealthDeps & HealthOptions & { agentStartedAt?: number };

/** A world with one link the test cuts and restores, and a recorder for every program run. */
function world(config: Record<string, unknown> = {}, given: Given = {}) {
  const clock = new ManualClock();
  const link = { up: true, route: true };
  const runs: { at: number; argv: string[]; request: ExecRequest }[] = [];
  const fetches: string[] = [];
  const probes: string[] = [];
  const answers: Response[] = [];
  const net: Net = {
    tcpProbe: (host, port) =>
      Promise.resolve(void probes.push(`${host}:${port}`)).then(() =>
        link.up ? { ok: true, ms: 4 } : { ok: false, ms: 3000, error: `${host}:${port} timed out` }
      ),
    resolveDns: () => Promise.resolve({ ok: link.up, ms: 2 }),
    fetch: (input) => {
      fetches.push(String(input));
      return Promise.resolve(answers.shift() ?? new Response("ok"));
    },
  };
  // /proc/net/route with or without its default route, as the test sets the link.
  const fs = new (class extends FakeFs {
    override readTextFile() {
      return Promise.resolve(link.route ? ROUTES : ROUTES.split("\n")[0]);
    }
  })();
  const exec: Exec = {
    run: (request) => {
      runs.push({ at: clock.monotonic() / S, argv: request.argv, request });
      return Promise.resolve({
        exitCode: 0,
        output: "done",
        stderr: "",
        truncated: false,
        timedOut: false,
        cancelled: false,
        durationMs: 1,
      });
    },
  };
  const validation = validateConfig({
    mqtt_host: "broker.example",
    token: TOKEN,
    recovery_cmd: "/etc/init.d/network restart",
    reboot_cmd: "reboot",
    ...config,
  });
  if (!validation.ok) throw new Error(validation.errors.join("; "));
  const ctx = {
    ...testContext(validation.config, { clock, fs, exec, net }, {
      mac: "02:00:00:00:00:01",
      level: "info",
    }),
    agentStartedAt: given.agentStartedAt ?? -3600 * S,
  };
  const { counters, commands, lines } = ctx;
  const flushes: number[] = [];
  const health = new HealthCapability(ctx, {
    beforeReboot: () => Promise.resolve(void flushes.push(clock.monotonic() / S)),
    ...given,
  }, { allowed: () => true, random: () => 0.5, ...given });
  const steps = (name: string) =>
    runs.filter((r) => r.argv.join(" ").includes(name)).map((r) => r.at);
  return {
    ctx,
    clock,
    link,
    net,
    runs,
    steps,
    flushes,
    fetches,
    probes,
    answers,
    lines,
    counters,
    commands,
    health,
  };
}

/** Starts the watch, online at 0, 15, 30, 45 s; the link breaks before the round of 60 s. */
async function onlineThenCut(w: ReturnType<typeof world>): Promise<number> {
  await w.health.start();
  await w.clock.advance(45.5 * S);
  w.link.up = false;
  await w.clock.advance(14.5 * S);
  return 60;
}

Deno.test("health: a 10 min outage restarts at 120/240/480 s and reboots at 600 s", async () => {
  const w = world();
  const outage = await onlineThenCut(w);
  await w.clock.advance(640 * S);
  const sinceOutage = (at: number[]) => at.map((t) => t - outage);
  assertEquals(sinceOutage(w.steps("network restart")), [120, 240, 480]);
  assertEquals(sinceOutage(w.steps("reboot")), [600]);
  assertEquals(sinceOutage(w.flushes), [600], "cache and journal flushed before the reboot");
  assertEquals(w.runs.find((r) => r.argv[0] === "reboot")?.argv, ["reboot"]);
  assertEquals(w.counters.get("recovery-restarts"), 3);
  assertEquals(w.counters.get("recovery-reboots"), 1);
  // Offline after three failed rounds 5 s apart, logged once with its cause.
  assertEquals(w.counters.get("health-offline"), 1);
  const offline = w.lines.filter((l) => l.startsWith("WARN health offline"));
  assertEquals(offline.length, 1);
  assertMatch(offline[0], /cause=.*timed out \(3 rounds\)/);
  w.link.up = true;
  await w.clock.advance(5 * S);
  assertEquals(w.counters.get("health-online"), 2);
  assertEquals(w.lines.filter((l) => l.startsWith("INFO health online")).length, 2);
  await w.health.stop();
  assertEquals(w.clock.pending, [], "stop leaves no timer behind");
});

Deno.test("health: a flapping link never goes offline and never acts", async () => {
  const w = world();
  await w.health.start();
  await w.clock.advance(1 * S);
  // Down for 10 s in every 55 s, for an hour: rounds 5 s apart fail at most twice in a row.
  for (let i = 0; i < 720; i++) {
    w.link.up = i % 11 > 1;
    await w.clock.advance(5 * S);
  }
  assertEquals(w.counters.get("health-offline"), 0);
  assert(w.counters.get("health-checks-failed") >= 60, `${w.counters.get("health-checks-failed")}`);
  assertEquals(w.runs, []);
  await w.health.stop();
});

Deno.test("health: an outage right after start never reboots within 15 minutes", async () => {
  const w = world({}, { agentStartedAt: 0 });
  w.link.up = false;
  await w.health.start();
  await w.clock.advance(899 * S);
  assertEquals(w.steps("reboot"), []);
  assertEquals(w.steps("network restart"), [120, 240, 480, 780]);
  await w.clock.advance(1 * S);
  assertEquals(w.steps("reboot"), [900]);
  await w.health.stop();
});

Deno.test("health: reboot 0 never reboots", async () => {
  const w = world({ reboot: 0 });
  const outage = await onlineThenCut(w);
  await w.clock.advance(4000 * S);
  assertEquals(w.steps("reboot"), []);
  assertEquals(w.steps("network restart").map((t) => t - outage), [120, 240, 480, 960, 1920, 3840]);
  await w.health.stop();
});

for (const [stepsTaken, recoverAtS] of [[0, 100], [1, 200], [2, 400], [3, 590], [4, 700]]) {
  Deno.test(`health: recovery after ${stepsTaken} ladder steps resets the ladder`, async () => {
    const w = world();
    const outage = await onlineThenCut(w);
    await w.clock.advance((recoverAtS - 1) * S);
    assertEquals(w.runs.length, stepsTaken);
    w.link.up = true;
    await w.clock.advance(30 * S);
    assertEquals(w.health.nextStep(), undefined);
    // A new outage climbs from the first step again.
    const secondOutage = outage + recoverAtS + 30;
    w.link.up = false;
    await w.clock.advance(130 * S);
    const after = w.runs.slice(stepsTaken).map((r) => r.at - secondOutage);
    assertEquals(after.length, 1);
    assert(after[0] >= 120 && after[0] <= 120 + 15, `first step ${after[0]} s into the outage`);
    assertEquals(w.runs[stepsTaken].argv[0], "/etc/init.d/network");
    await w.health.stop();
  });
}

Deno.test("health: every return online calls onOnline once (the uplink sends its cache)", async () => {
  let calls = 0;
  const w = world({}, { onOnline: () => void calls++ });
  await onlineThenCut(w);
  assertEquals(calls, 1, "the first online round at start");
  await w.clock.advance(60 * S);
  assertEquals(w.counters.get("health-offline"), 1);
  w.link.up = true;
  await w.clock.advance(10 * S);
  assertEquals(calls, 2);
  await w.clock.advance(60 * S);
  assertEquals(calls, 2, "staying online calls nothing more");
  await w.health.stop();
});

Deno.test("health: no default route is offline at once; the probe is not even tried", async () => {
  const w = world();
  await w.health.start();
  await w.clock.advance(1 * S);
  w.link.route = false;
  await w.clock.advance(15 * S);
  assertEquals(w.counters.get("health-offline"), 1);
  assertMatch(w.lines.find((l) => l.includes("health offline"))!, /cause="no default route"/);
  await w.health.stop();
});

Deno.test("health: an open MQTT session keeps the agent online when the probe fails", async () => {
  const w = world({}, { mqttConnected: () => true });
  w.link.up = false;
  await w.health.start();
  await w.clock.advance(600 * S);
  assertEquals(w.counters.get("health-offline"), 0);
  assertEquals(w.runs, []);
  await w.health.stop();
});

Deno.test("health: while MQTT is connected the watch opens no TCP connection; a network job's check does", async () => {
  let mqtt = true;
  const w = world({}, { mqttConnected: () => mqtt });
  await w.health.start();
  await w.clock.advance(300 * S);
  assertEquals(w.probes, [], "a live session is proof enough: no probe at the broker");
  assertEquals((await w.health.check()).online, true);
  assertEquals(w.probes.length, 1, "a fresh check for a network job probes");
  mqtt = false;
  await w.clock.advance(60 * S);
  assert(w.probes.length > 1, "without the session the watch probes again");
  await w.health.stop();
});

Deno.test("health: a step without --allow-run is disabled with one line, the rest acts", async () => {
  const w = world({}, { allowed: (d) => !(d.name === "run" && d.command === "reboot") });
  await onlineThenCut(w);
  await w.clock.advance(1300 * S);
  assertEquals(w.steps("reboot"), []);
  assertEquals(w.steps("network restart").length, 5);
  const disabled = w.lines.filter((l) => l.includes("reboot disabled"));
  assertEquals(disabled.length, 1);
  assertMatch(disabled[0], /missing="--allow-run=reboot"/);
  await w.health.stop();
});

Deno.test("health: ctl health shows the state, since when and the next step", async () => {
  const w = world();
  const outage = await onlineThenCut(w);
  await w.clock.advance(20 * S);
  const reply = await w.commands.execute({ command: "health" });
  const health = reply.health as Record<string, unknown>;
  assertEquals(health.state, "offline");
  assertEquals(health.since, new Date(w.clock.now() - 10 * S).toISOString());
  assertEquals(health["next-step"], {
    step: "restart",
    at: new Date(w.clock.now() + (outage + 120 - 80) * S).toISOString(),
    "in-s": outage + 120 - 80,
  });
  const at = new Date(w.clock.now()).toISOString(); // a round ran just now, at 80 s
  assertEquals(health["last-checks"], {
    route: { at, result: "ok" },
    tcp: { at, result: "broker.example:1883 failed: broker.example:1883 timed out" },
    dns: { at, result: "broker.example failed: unknown" },
  });
  const check = await w.commands.execute({ command: "health-check" });
  assertEquals(check.status, "ok");
  assertEquals((check["health-check"] as { online: boolean }).online, false);
  w.link.up = true;
  const again = await w.health.check();
  assertEquals(again.online, true);
  assertEquals(again.details, [
    "route ok",
    "tcp broker.example:1883 ok 4ms",
    "dns broker.example ok 2ms",
  ]);
  await w.health.stop();
});

Deno.test("health: boot_cmd runs once at start in shell mode with the job limits", async () => {
  const w = world({ boot_cmd: "echo booted", job_timeout: 30, job_output_max: 2048 });
  await w.health.start();
  await w.clock.advance(1);
  const boot = w.runs.filter((r) => r.argv[0] === "/bin/sh");
  assertEquals(boot.map((r) => r.argv), [["/bin/sh", "-c", "echo booted"]]);
  assertEquals([boot[0].request.timeoutMs, boot[0].request.outputMax], [30_000, 2048]);
  assert(w.lines.some((l) => l.startsWith("INFO health boot_cmd done exit=0")));
  await w.health.stop();
  // A reload builds the capability again from the same agent: boot_cmd does not run twice.
  const reloaded = new HealthCapability(w.ctx, {}, { allowed: () => true });
  await reloaded.start();
  await w.clock.advance(1);
  assertEquals(w.runs.filter((r) => r.argv[0] === "/bin/sh").length, 1);
  await reloaded.stop();
});

Deno.test("health: boot_url is called once first online, retried until 2xx, never executed", async () => {
  const w = world({ boot_url: "http://api.example/boot" });
  w.answers.push(
    new Response("busy", { status: 503 }),
    new Response(`rm -rf / # ${TOKEN}`, { status: 200 }),
  );
  w.link.up = false;
  await w.health.start();
  await w.clock.advance(30 * S);
  assertEquals(w.fetches, [], "not before the agent is online");
  w.link.up = true;
  await w.clock.advance(60 * S);
  assertEquals(w.fetches.length, 2);
  const url = new URL(w.fetches[0]);
  assertEquals(url.searchParams.get("access_token"), TOKEN);
  assertEquals(url.searchParams.get("mac"), "02:00:00:00:00:01");
  assertEquals(w.runs, [], "the answer is never executed");
  const answered = w.lines.find((l) => l.includes("boot_url answered"))!;
  assertMatch(answered, /status=200/);
  assert(!w.lines.join("\n").includes(TOKEN), "the token never reaches the log");
  // Going offline and online again does not call it again.
  w.link.route = false;
  await w.clock.advance(30 * S);
  w.link.route = true;
  await w.clock.advance(30 * S);
  assertEquals(w.fetches.length, 2);
  await w.health.stop();
});

Deno.test("health: without permission for the resolver, the dns check is dropped with one line", async () => {
  const w = world();
  w.net.resolveDns = () =>
    Promise.resolve({
      ok: false,
      ms: 0,
      error: 'Requires net access to "127.0.0.1:53", run again with the --allow-net flag',
    });
  await w.health.start();
  await w.clock.advance(60 * S);
  const lines = w.lines.filter((l) => l.includes("dns check disabled"));
  assertEquals(lines.length, 1);
  assertMatch(lines[0], /missing="--allow-net=127.0.0.1:53"/);
  assertEquals((await w.health.check()).details, ["route ok", "tcp broker.example:1883 ok 4ms"]);
  await w.health.stop();
});

Deno.test("health: a broker given as an address is not looked up in DNS", async () => {
  const w = world({ mqtt_host: "192.0.2.7" });
  assertEquals((await w.health.check()).details, ["route ok", "tcp 192.0.2.7:1883 ok 4ms"]);
});

Deno.test("recovery_cmd means one thing: a program and its arguments, no shell, for the ladder and network jobs alike", async () => {
  const w = world({ recovery_cmd: `"/usr/sbin/net-tool" restart 'wan side' ; reboot` });
  await w.health.start();
  const result = await w.health.recover();
  assertEquals(result?.exitCode, 0);
  assertEquals(w.runs.map((r) => r.argv), [
    ["/usr/sbin/net-tool", "restart", "wan side", ";", "reboot"],
  ]);
  assertEquals(w.counters.get("recovery-restarts"), 1);
  await w.health.stop();
  const denied = world({}, { allowed: () => false });
  await denied.health.start();
  assertEquals(await denied.health.recover(), undefined, "without --allow-run it runs nothing");
  assertEquals(denied.runs, []);
  await denied.health.stop();
});
