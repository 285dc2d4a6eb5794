/** The control socket over real Unix sockets: framing, limits, errors and the socket file. */
import { AgentStartError } from "../src/agent/mod.ts";
import type { CapabilitySpec } from "../src/capability.ts";
import { needs } from "../src/permissions.ts";
import { validateConfig } from "../src/config/mod.ts";
import { ControlServer, DEFAULT_CONTROL_LIMITS } from "../src/control/server.ts";
import { CommandRegistry } from "../src/control/registry.ts";
import { Counters } from "../src/counters.ts";
import { memoryLogger } from "../src/log/logger.ts";
import { assert, assertEquals, assertMatch, assertRejects } from "./support/assert.ts";
import { ask, connect, LineReader, readToEnd, send, startAgent } from "./support/control.ts";
import { tempDir } from "./support/process.ts";
import { until } from "./support/poll.ts";

const STATUS = '{"command": "status"}';

Deno.test("a raw client without newline or half-close gets one line, then EOF", async () => {
  await using t = await startAgent();
  const conn = await connect(t.path);
  await send(conn, STATUS);
  const text = await readToEnd(conn);
  assert(text.endsWith("}\n") && text.indexOf("\n") === text.length - 1, text);
  const reply = JSON.parse(text);
  assertEquals([reply.status, reply.code], ["ok", 200]);
  assertEquals((reply["agent-status"] as Record<string, unknown>).pid, Deno.pid);
  assertEquals((await Deno.lstat(t.path)).mode! & 0o777, 0o600);
});

Deno.test("nc -U (no -N, never half-closes) prints the answer and exits", async () => {
  await using t = await startAgent();
  const nc = new Deno.Command("nc", {
    args: ["-U", t.path],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = nc.stdin.getWriter();
  await writer.write(new TextEncoder().encode('{"command": "counters"}\n'));
  await writer.close();
  const out = await nc.output();
  assertEquals(new TextDecoder().decode(out.stderr), "");
  const reply = JSON.parse(new TextDecoder().decode(out.stdout));
  assertEquals([reply.status, typeof reply.counters["control-requests"]], ["ok", "number"]);
});

Deno.test("a request split over many writes, and one followed by garbage, are answered", async () => {
  await using t = await startAgent();
  const split = await connect(t.path);
  const bytes = new TextEncoder().encode(`  \n${STATUS}`);
  for (let i = 0; i < bytes.length; i++) await send(split, bytes.subarray(i, i + 1));
  assertEquals(JSON.parse(await readToEnd(split)).code, 200);

  // The garbage is read and dropped: no reset, the answer and a clean EOF arrive.
  const garbage = await connect(t.path);
  await send(garbage, `${STATUS}}}]]"\u0000not json${"x".repeat(100_000)}`);
  assertEquals(JSON.parse(await readToEnd(garbage)).code, 200);
});

Deno.test("keep-alive serves 1000 requests on one connection, one line each", async () => {
  await using t = await startAgent();
  const before = t.agent.counters.get("control-requests");
  const conn = await connect(t.path);
  const lines = new LineReader(conn);
  for (let i = 0; i < 1000; i++) {
    await send(conn, `{"command": "counters", "keep-alive": true}`);
    const reply = JSON.parse((await lines.next())!);
    assertEquals(reply.counters["control-requests"], before + i);
  }
  // A request without keep-alive is the last one.
  await send(conn, STATUS);
  assertEquals(JSON.parse((await lines.next())!).code, 200);
  assertEquals(await lines.next(), null);
  conn.close();
  assertEquals(t.agent.counters.get("control-requests"), before + 1001);
});

Deno.test("every error row of the spec", async () => {
  await using t = await startAgent({ controlLimits: { requestTimeoutMs: 200 } });
  const error = (code: number, message: string) => ({ status: "error", code, message });
  const cases: [string, unknown][] = [
    ['{"command": "status"', error(400, "invalid json")],
    ['{"command": status}', error(400, "invalid json")],
    ["[1, 2]", error(400, "invalid request")],
    ['{"command": 7}', error(400, "invalid request")],
    ['{"command": "status", "arguments": [1]}', error(400, "invalid request")],
    ['{"command": "no-such"}', error(400, "unknown command")],
    [
      '{"command": "log-level", "arguments": {"level": "info", "x": 1}}',
      error(400, "invalid argument"),
    ],
    ['{"command": "log-level"}', error(400, "missing argument level")],
    ['{"command": "log-level", "arguments": {"level": 5}}', error(400, "invalid argument level")],
    ["[".repeat(65), error(400, "invalid json")],
    // An empty request, then EOF, is answered too.
    ["", error(400, "invalid json")],
    [" \n ", error(400, "invalid json")],
    // `__proto__` is an own key of the parsed request, and no argument of any command.
    [
      '{"command": "log-level", "arguments": {"__proto__": {"level": "debug"}}}',
      error(400, "invalid argument"),
    ],
    ['{"command": "status", "arguments": {"__proto__": 1}}', error(400, "invalid argument")],
  ];
  for (const [request, expected] of cases) {
    const conn = await connect(t.path);
    await send(conn, request);
    // Half-close so that an incomplete request is judged at EOF, not after the timeout.
    await conn.closeWrite();
    assertEquals(JSON.parse(await readToEnd(conn)), expected, request);
  }
  // Depth 64 is allowed (and then not a valid request).
  const deep = "[".repeat(64) + "]".repeat(64);
  assertEquals((await ask(t.path, deep)).message, "invalid request");
});

Deno.test("size: 1 MiB is read, 1 MiB + 1 byte is 413 request too large", async () => {
  await using t = await startAgent();
  const sized = (size: number) => {
    const head = '{"command": "status", "pad": "';
    return head + "x".repeat(size - head.length - 2) + '"}';
  };
  const mib = 1024 * 1024;
  assertEquals(sized(mib).length, mib);
  assertEquals((await ask(t.path, sized(mib))).code, 200);
  assertEquals(await ask(t.path, sized(mib + 1)), {
    status: "error",
    code: 413,
    message: "request too large",
  });
});

Deno.test("silence is 408 request timeout after the (injected) limit; default is 5 s", async () => {
  assertEquals(DEFAULT_CONTROL_LIMITS.requestTimeoutMs, 5_000);
  await using t = await startAgent({ controlLimits: { requestTimeoutMs: 150 } });
  const started = performance.now();
  const silent = await connect(t.path);
  const partial = await connect(t.path);
  await send(partial, '{"command": ');
  const expected = { status: "error", code: 408, message: "request timeout" };
  assertEquals(JSON.parse(await readToEnd(silent)), expected);
  assertEquals(JSON.parse(await readToEnd(partial)), expected);
  assert(performance.now() - started >= 140, "answered before the timeout");
});

Deno.test("keep-alive: an idle connection is closed quietly after the idle timeout", async () => {
  await using t = await startAgent({ controlLimits: { idleTimeoutMs: 100 } });
  const conn = await connect(t.path);
  const lines = new LineReader(conn);
  await send(conn, '{"command": "status", "keep-alive": true}');
  assertEquals(JSON.parse((await lines.next())!).code, 200);
  assertEquals(await lines.next(), null);
  conn.close();
});

Deno.test("the 65th connection gets 503 too many connections; the 64 are still served", async () => {
  await using t = await startAgent();
  const held = await Promise.all(Array.from({ length: 64 }, () => connect(t.path)));
  assertEquals(await ask(t.path, STATUS), {
    status: "error",
    code: 503,
    message: "too many connections",
  });
  const answers = await Promise.all(held.map(async (conn) => {
    await send(conn, STATUS);
    return JSON.parse(await readToEnd(conn)).code;
  }));
  assertEquals(answers, Array(64).fill(200));
  assertEquals((await ask(t.path, STATUS)).code, 200);
});

Deno.test("a slot is free as soon as its peer has gone", async () => {
  await using t = await startAgent();
  for (let round = 0; round < 10; round++) {
    const held = await Promise.all(Array.from({ length: 64 }, () => connect(t.path)));
    // Every slot taken: the server has accepted all 64.
    assertEquals((await ask(t.path, STATUS)).code, 503);
    for (const conn of held) conn.close();
    const answer = await ask(t.path, STATUS);
    assertEquals([round, answer.code], [round, 200], JSON.stringify(answer));
  }
});

Deno.test("64 silent clients do not slow a normal request down", async () => {
  // One slot more than the silent clients, so that the timed request is served, not refused.
  const limits = { controlLimits: { maxConnections: 65 } };
  await using besieged = await startAgent(limits);
  await using quiet = await startAgent(limits);
  const silent = await Promise.all(Array.from({ length: 64 }, () => connect(besieged.path)));
  await ask(besieged.path, STATUS); // the server has accepted them all once this is answered
  // In turn with an agent that has no silent clients: a slow moment of the machine hits both.
  const times = { besieged: [] as number[], quiet: [] as number[] };
  for (let i = 0; i < 9; i++) {
    for (const [name, agent] of [["besieged", besieged], ["quiet", quiet]] as const) {
      const started = performance.now();
      assertEquals((await ask(agent.path, STATUS)).code, 200);
      times[name].push(performance.now() - started);
    }
  }
  const median = (samples: number[]) => samples.sort((a, b) => a - b)[4];
  // A server that waited on its silent clients would take their read timeouts: seconds.
  const ratio = median(times.besieged) / median(times.quiet);
  assert(ratio < 10, `${ratio.toFixed(1)} times slower with 64 silent clients`);
  for (const conn of silent) conn.close();
});

Deno.test("terminate is answered before the socket closes, and the socket file is removed", async () => {
  await using t = await startAgent();
  assertEquals(await ask(t.path, { command: "terminate" }), {
    status: "ok",
    code: 200,
    terminate: { terminating: true },
  });
  await t.agent.stopped;
  await assertRejects(() => Deno.lstat(t.path), /No such file/);
});

Deno.test("an answer that cannot be written as JSON is a 500, and the connection still answers", async () => {
  await using t = await startAgent();
  const deep = JSON.parse("[".repeat(20_000) + "]".repeat(20_000));
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  t.agent.commands.register({ name: "deep", description: "test", run: () => deep });
  t.agent.commands.register({ name: "cyclic", description: "test", run: () => cyclic });
  for (const command of ["deep", "cyclic"]) {
    assertEquals(await ask(t.path, { command }), {
      status: "error",
      code: 500,
      message: "internal error: the answer could not be written",
    });
  }
  assertEquals((await ask(t.path, { command: "counters" })).code, 200);
});

Deno.test("stop lets an answer in progress be written", async () => {
  const reached = Promise.withResolvers<void>();
  const release = Promise.withResolvers<string>();
  await using t = await startAgent();
  t.agent.commands.register({
    name: "slow",
    description: "test",
    run: () => (reached.resolve(), release.promise),
  });
  const conn = await connect(t.path);
  await send(conn, '{"command": "slow"}');
  const answer = readToEnd(conn);
  await reached.promise;
  const stopped = t.agent.stop();
  release.resolve("done");
  assertEquals(JSON.parse(await answer).slow, "done");
  await stopped;
});

Deno.test("the control socket survives a reload that restarts a capability", async () => {
  const events: string[] = [];
  const recorder: CapabilitySpec = {
    name: "collect",
    restartOn: ["qos"],
    needs: () => ({ flags: needs({}) }),
    build: () => ({
      name: "collect",
      start: () => (events.push("start"), Promise.resolve()),
      stop: () => (events.push("stop"), Promise.resolve()),
      state: () => "fine",
    }),
  };
  await using t = await startAgent({
    loadConfig: () => Promise.resolve(validateConfig({ mac: "AA-BB", disable_mqtt: true, qos: 2 })),
  }, [recorder]);
  const conn = await connect(t.path);
  const lines = new LineReader(conn);
  await send(conn, '{"command": "reload", "keep-alive": true}');
  assertEquals(JSON.parse((await lines.next())!).code, 200);
  assertEquals(events, ["start", "stop", "start"]);
  // The same connection still answers: the server was not restarted.
  await send(conn, STATUS);
  const status = JSON.parse((await lines.next())!)["agent-status"];
  assertMatch(status.control, /^listening on /);
  assertEquals(status.collect, "fine");
  conn.close();
});

Deno.test("socket file: stale one replaced, live one refused, non-socket left alone", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/ledge.sock`;
  await leaveStaleSocket(path);
  await using first = await startAgent({ controlSocket: path });
  assert(first.lines.some((l) => l.includes("removed a stale control socket")), first.lines.join());
  assertEquals((await ask(path, STATUS)).code, 200);

  await assertRejects(
    () => startAgent({ controlSocket: path }),
    /control socket .*: another agent is already listening on/,
  );
  assertEquals((await ask(path, STATUS)).code, 200);

  const file = `${dir.path}/not-a-socket`;
  await Deno.writeTextFile(file, "keep me");
  const refused = startAgent({ controlSocket: file });
  await assertRejects(() => refused, /exists and is not a socket; it was left alone/);
  await refused.catch((error) => assert(error instanceof AgentStartError));
  assertEquals(await Deno.readTextFile(file), "keep me");
});

Deno.test("control_socket_group: the socket is 0660 and owned by that group", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/ledge.sock`;
  const gid = Deno.gid()!;
  const serverFor = (group: string, etcGroup: string) =>
    new ControlServer({
      path,
      group,
      log: memoryLogger().log,
      counters: new Counters(),
      commands: new CommandRegistry(),
      readEtcGroup: () => Promise.resolve(etcGroup),
    });
  const server = serverFor("operators", `root:x:0:\noperators:x:${gid}:alice\n`);
  await server.start();
  const info = await Deno.lstat(path);
  assertEquals([info.mode! & 0o777, info.gid], [0o660, gid]);
  await server.stop();
  const unknown = serverFor("nobody-here", "root:x:0:\n");
  await assertRejects(() => unknown.start(), /no group 'nobody-here' in \/etc\/group/);
  await assertRejects(() => Deno.lstat(path), /No such file/);
});

Deno.test({
  name: "without the socket's permissions control is disabled with one line, the rest runs",
  permissions: { read: true, write: true, net: false, env: true, sys: true },
  fn: async () => {
    const recorder: CapabilitySpec = {
      name: "collect",
      restartOn: [],
      needs: () => ({ flags: needs({}) }),
      build: () => ({
        name: "collect",
        start: () => Promise.resolve(),
        stop: () => Promise.resolve(),
        state: () => "fine",
      }),
    };
    await using t = await startAgent({}, [recorder]);
    assert(t.agent.isRunning("collect"));
    assertMatch(t.agent.states().control, /^disabled: missing --allow-net=unix:/);
    assertEquals(t.lines.filter((l) => l.includes("control disabled")).length, 1);
  },
});

/** A socket file nobody answers on, as a crashed agent leaves it (a killed `nc -lU`). */
async function leaveStaleSocket(path: string): Promise<void> {
  const nc = new Deno.Command("nc", { args: ["-lU", path], stdout: "null", stderr: "null" })
    .spawn();
  await until(() => Deno.lstat(path).then((i) => i.isSocket === true, () => false), "its socket");
  nc.kill("SIGKILL");
  await nc.status;
  assert((await Deno.lstat(path)).isSocket);
}
