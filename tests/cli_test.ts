import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { ROOT, runLedge, spawnLedge, tempDir } from "./support/process.ts";

const SOCKETMAN = `${ROOT}tests/fixtures/config/socketman.json`;
const readOnly = (path: string) => [`--allow-read=${path}`];

Deno.test("check-config accepts SocketMan's config and prints secrets as ***", async () => {
  const { code, stdout, stderr } = await runLedge(["check-config", SOCKETMAN], readOnly(SOCKETMAN));
  assertEquals(code, 0, stderr);
  const shown = JSON.parse(stdout);
  assertEquals([shown.password, shown.key, shown.token], ["***", "***", "***"]);
  assertEquals(shown.mqtt_host, "192.168.142.139");
  for (const secret of ["ZaXMATRyQn", "SObjvWxbQtcotVrQJWurPcvnPXmpqYue", "75199254"]) {
    assert(!stdout.includes(secret) && !stderr.includes(secret), secret);
  }
});

Deno.test("check-config: bad values exit 2 with one line per key and no stack trace", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/bad.json`;
  await Deno.writeTextFile(path, '{"monitor": "x", "port": 70000, "qos": 3}');
  const { code, stdout, stderr } = await runLedge(["check-config", path], readOnly(path));
  assertEquals(code, 2);
  assertEquals(stdout, "");
  const errors = stderr.split("\n").filter((l) => l.startsWith("error: "));
  assertEquals(errors.length, 3, stderr);
  assertMatch(errors[0], /monitor: got "x"; allowed: an integer/);
  assertMatch(errors[1], /port: got 70000; allowed: an integer 1–65535/);
  assertMatch(errors[2], /qos: got 3; allowed: 0, 1 or 2/);
  assert(!/\bat .*\.ts:\d+/.test(stderr), "stack trace in output");
});

Deno.test("--print-permissions lists the narrowest flags for the config", async () => {
  const { code, stdout } = await runLedge(
    ["check-config", SOCKETMAN, "--print-permissions"],
    readOnly(SOCKETMAN),
  );
  assertEquals(code, 0);
  const flags = stdout.trim().split(" ");
  assert(flags.includes("--allow-env=DEBUG,DENO_USR2_MEMORY_TRIM"), stdout);
  assert(flags.some((f) => f.startsWith("--allow-net=") && f.includes("192.168.142.139:8443")));
  assert(flags.some((f) => f.startsWith("--allow-run=") && f.split(/[=,]/).includes("/bin/sh")));
  assert(!flags.some((f) => f === "-A" || f === "--allow-all"));
});

Deno.test("user errors: unknown flag, unknown command, missing file, missing --config", async () => {
  for (
    const [args, pattern] of [
      [["run", "--bogus"], /Unknown option '--bogus'/],
      [["frobnicate"], /unknown command 'frobnicate'/],
      [["check-config", "/nonexistent/c.json"], /cannot read \/nonexistent\/c.json: no such file/],
      [["run"], /missing --config=PATH/],
    ] as const
  ) {
    const { code, stderr } = await runLedge([...args], ["--allow-read"]);
    assertEquals(code, 2, stderr);
    assertMatch(stderr, pattern);
    assertEquals(stderr.trim().split("\n").length <= 2, true, stderr);
  }
});

Deno.test("version and help answer with exit 0", async () => {
  const version = await runLedge(["version"]);
  assertEquals(version.code, 0);
  assertMatch(version.stdout, /^ledge \d+\.\d+\.\d+ \(deno 2\.\d+\.\d+, v8 .*, \w+-/);
  const help = await runLedge(["help", "run"]);
  assertEquals(help.code, 0);
  assertMatch(help.stdout, /SIGHUP/);
});

async function writeConfig(path: string, extra: Record<string, unknown> = {}) {
  await Deno.writeTextFile(
    path,
    JSON.stringify({ mac: "AA-BB", disable_mqtt: true, "no-cache": 1, ...extra }),
  );
}

Deno.test("run: SIGHUP reloads a valid config, refuses an invalid one, SIGTERM exits 0", async () => {
  await using dir = await tempDir();
  const config = `${dir.path}/config.json`;
  await writeConfig(config);
  // The SocketMan command line form, with only the permission to read the config.
  const agent = spawnLedge([`--config=${config}`, "-S", `${dir.path}/s.sock`], {
    flags: [`--allow-read=${config}`],
  });
  await agent.waitFor(/INFO ledge agent started/);
  await Deno.writeTextFile(config, '{"qos": 7}');
  agent.kill("SIGHUP");
  await agent.waitFor(/ERROR ledge reload refused, keeping the running config .*qos: got 7/);
  await writeConfig(config, { monitor: 30 });
  agent.kill("SIGHUP");
  await agent.waitFor(/INFO ledge config reloaded/);
  agent.kill("SIGTERM");
  assertEquals((await agent.status).code, 0);
  assert(agent.lines.some((l) => /agent stopped/.test(l)));
});

Deno.test("run: SIGINT stops gracefully, and DEBUG=1 turns debug logging on", async () => {
  await using dir = await tempDir();
  const config = `${dir.path}/config.json`;
  await writeConfig(config);
  const agent = spawnLedge(["run", "-c", config, "--log-format=json"], {
    flags: [`--allow-read=${config}`, "--allow-env=DEBUG"],
    env: { DEBUG: "1" },
  });
  const started = JSON.parse(await agent.waitFor(/agent started/));
  assertEquals([started.level, started.component], ["info", "ledge"]);
  assert(agent.lines.some((l) => JSON.parse(l).level === "debug"), "no debug line");
  agent.kill("SIGINT");
  assertEquals((await agent.status).code, 0);
});

Deno.test("a permission this run lacks is named as the flag to add", async () => {
  const { code, stderr } = await runLedge(["check-config", SOCKETMAN]);
  assertEquals(code, 2);
  assertMatch(stderr, new RegExp(`permission denied \\(run with --allow-read=${SOCKETMAN}\\)`));
});

Deno.test("ledge flags gives each command line the flags it needs, one a line, and no more", async () => {
  const flags = async (...args: string[]) => {
    const { code, stdout, stderr } = await runLedge(["flags", ...args], ["--allow-read"]);
    assertEquals(code, 0, stderr);
    return stdout.split("\n").filter(Boolean);
  };
  assertEquals(await flags("ctl", "-S", "/tmp/s.sock", "status"), [
    "--allow-read=/tmp/s.sock",
    "--allow-write=/tmp/s.sock",
    "--allow-net=unix:/tmp/s.sock",
  ]);
  assertEquals(await flags("check-config", SOCKETMAN), [`--allow-read=${SOCKETMAN}`]);
  assertEquals(await flags("version"), []);
  const preset = await runLedge(
    ["check-config", SOCKETMAN, "--print-permissions"],
    readOnly(SOCKETMAN),
  );
  const words = preset.stdout.trim().split(" ");
  assertEquals(await flags("run", `--config=${SOCKETMAN}`), words);
  assertEquals(await flags(`--config=${SOCKETMAN}`), words, "SocketMan's command line");
});

Deno.test("deno task ledge runs a subcommand from source under its own flags", async () => {
  const out = await new Deno.Command("deno", {
    args: ["task", "-q", "ledge", "check-config", SOCKETMAN],
    cwd: ROOT,
    stdin: "null",
    env: { NO_COLOR: "1" },
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  assertEquals(JSON.parse(stdout).password, "***");
});
