/** `ledge ctl` and `ledge run`'s control socket, as subprocesses with narrow permissions. */
import { assert, assertEquals, assertMatch, assertRejects } from "./support/assert.ts";
import { runLedge, spawnLedge, tempDir } from "./support/process.ts";

/** The flags the control capability states for `sock` (src/config/permissions.ts). */
const socketFlags = (sock: string, ...read: string[]) => [
  `--allow-read=${[sock, ...read].join(",")}`,
  `--allow-write=${sock}`,
  `--allow-net=unix:${sock}`,
];

async function startAgent(dir: string) {
  const config = `${dir}/config.json`;
  const sock = `${dir}/ledge.sock`;
  await Deno.writeTextFile(
    config,
    JSON.stringify({ mac: "AA-BB", disable_mqtt: true, "no-cache": 1, control_socket: sock }),
  );
  const agent = spawnLedge(["run", `--config=${config}`], { flags: socketFlags(sock, config) });
  await agent.waitFor(/INFO ledge agent started/);
  return { agent, config, sock };
}

Deno.test("ledge ctl talks to a running agent: readable, --json, help, errors", async () => {
  await using dir = await tempDir();
  const { agent, config, sock } = await startAgent(dir.path);
  const ctl = (args: string[], ...read: string[]) =>
    runLedge(["ctl", ...args], socketFlags(sock, ...read));
  try {
    const [status, counters, help, level, unknown, missing, viaConfig] = await Promise.all([
      ctl(["-S", sock, "status"]),
      ctl(["-S", sock, "--json", "counters"]),
      ctl(["-S", sock, "help"]),
      ctl(["-S", sock, "log-level", "level", "warn"]),
      ctl(["-S", sock, "no-such-command"]),
      ctl(["-S", sock, "log-level"]),
      ctl([`--config=${config}`, "config"], config),
    ]);
    assertEquals(status.code, 0, status.stderr);
    assertMatch(status.stdout, /^version: +\d/m);
    assertMatch(status.stdout, /^control: +listening on .*ledge\.sock/m);

    assertEquals(counters.code, 0);
    const reply = JSON.parse(counters.stdout);
    assertEquals([reply.status, typeof reply.counters["control-requests"]], ["ok", "number"]);

    assertEquals(help.code, 0);
    assertMatch(help.stdout, /^command +description +mandatory +optional/);
    assertMatch(help.stdout, /^log-level +set the log level at run time +level +- /m);

    assertEquals([level.code, level.stdout.trim()], [0, "level: warn"]);
    assertEquals([unknown.code, unknown.stderr.trim()], [1, "error 400: unknown command"]);
    assertEquals([missing.code, missing.stderr.trim()], [1, "error 400: missing argument level"]);
    assertEquals(viaConfig.code, 0, viaConfig.stderr);
    assertMatch(viaConfig.stdout, /^control_socket: +.*ledge\.sock$/m);

    const terminate = await ctl(["-S", sock, "terminate"]);
    assertEquals([terminate.code, terminate.stdout.trim()], [0, "terminating: true"]);
    assertEquals((await agent.status).code, 0);
    await assertRejects(() => Deno.lstat(sock), /No such file/);
  } finally {
    agent.kill();
    await agent.status;
  }
});

Deno.test("ledge ctl: bad usage exits 2, no agent exits 1 with one line", async () => {
  await using dir = await tempDir();
  const sock = `${dir.path}/none.sock`;
  const [noCommand, odd, badFlag, absent] = await Promise.all([
    runLedge(["ctl", "-S", sock], socketFlags(sock)),
    runLedge(["ctl", "-S", sock, "jobs", "limit"], socketFlags(sock)),
    runLedge(["ctl", "--loud", "status"], socketFlags(sock)),
    runLedge(["ctl", "-S", sock, "status"], socketFlags(sock)),
  ]);
  assertEquals(noCommand.code, 2);
  assertMatch(noCommand.stderr, /missing COMMAND/);
  assertEquals(odd.code, 2);
  assertMatch(odd.stderr, /argument 'limit' has no value/);
  assertEquals(badFlag.code, 2);
  assertEquals([absent.code, absent.stderr], [1, `ledge ctl: no agent listening on ${sock}\n`]);
});

Deno.test("ledge run refuses a socket another agent answers on, and a non-socket path", async () => {
  await using dir = await tempDir();
  const { agent, config, sock } = await startAgent(dir.path);
  try {
    const second = await runLedge(["run", `--config=${config}`], socketFlags(sock, config));
    assertEquals(second.code, 1);
    assertMatch(second.stderr, /control socket .*ledge\.sock: another agent is already listening/);
    const file = `${dir.path}/plain-file`;
    await Deno.writeTextFile(file, "keep me");
    const onFile = await runLedge(
      ["run", `--config=${config}`, "-S", file],
      socketFlags(file, config),
    );
    assertEquals(onFile.code, 1);
    assertMatch(onFile.stderr, /exists and is not a socket; it was left alone/);
    assertEquals(await Deno.readTextFile(file), "keep me");
    // The first agent still answers.
    const status = await runLedge(["ctl", "-S", sock, "status"], socketFlags(sock));
    assertEquals(status.code, 0);
  } finally {
    agent.kill();
    assertEquals((await agent.status).code, 0);
  }
  assert(!(await Deno.lstat(sock).then(() => true, () => false)), "socket left behind");
});
