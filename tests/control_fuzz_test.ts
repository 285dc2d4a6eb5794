/**
 * Fuzz: 100 000 random and mutated requests. Most go through the reader and the registry
 * in-process (volume); a substantial share goes through the real socket, where every one
 * must be answered or closed, the agent must not crash, and it must still answer after.
 */
import { type Frame, RequestReader } from "../src/control/request_reader.ts";
import { assert, assertEquals } from "./support/assert.ts";
import { ask, connect, readToEnd, send, startAgent } from "./support/control.ts";
import { seededRandom } from "./support/random.ts";

const IN_PROCESS = 80_000;
const THROUGH_SOCKET = 20_000;
const CONCURRENCY = 32;
const encoder = new TextEncoder();

const CORPUS = [
  '{"command": "status"}',
  '{"command": "counters", "arguments": {}}',
  '{"command": "commands"}',
  '{"command": "config"}',
  '{"command": "log-level", "arguments": {"level": "info"}}',
  '{"command": "log-level", "arguments": {"level": 3, "x": [1, {"y": null}]}}',
  '{"command": "job-info", "arguments": {"job-id": "abc"}}',
  '{"command": "status", "keep-alive": true}',
  ' \n[{"command": "status"}, "é\\u00e9\\"", -1.5e3, true, false, null]',
];
const ALPHABET = '{}[]":,\\ \n\t0123456789.-+eEtrufalsn"abcé\u0000\u00ff';

function input(next: () => number): Uint8Array {
  const pick = <T>(items: ArrayLike<T>) => items[Math.floor(next() * items.length)];
  const kind = next();
  if (kind < 0.1) {
    return Uint8Array.from({ length: Math.floor(next() * 64) }, () => Math.floor(next() * 256));
  }
  if (kind < 0.3) {
    let text = "";
    for (let i = Math.floor(next() * 80); i > 0; i--) text += pick(ALPHABET);
    return encoder.encode(text);
  }
  const bytes = [...encoder.encode(pick(CORPUS))];
  for (let m = 1 + Math.floor(next() * 4); m > 0; m--) {
    const at = Math.floor(next() * (bytes.length + 1));
    const op = next();
    if (op < 0.3) bytes[at] = Math.floor(next() * 256);
    else if (op < 0.55) bytes.splice(at, 0, pick(ALPHABET).charCodeAt(0) & 0xff);
    else if (op < 0.8) bytes.splice(at, 1 + Math.floor(next() * 4));
    else if (op < 0.9) bytes.splice(at, 0, ...bytes.slice(0, Math.floor(next() * 20)));
    else bytes.length = at;
  }
  return new Uint8Array(bytes);
}

/** The first frame the reader makes of `bytes` followed by EOF, or undefined (blank input). */
function firstFrame(bytes: Uint8Array): Frame | undefined {
  const reader = new RequestReader();
  reader.push(bytes);
  return reader.take() ?? reader.end();
}

function assertReply(reply: Record<string, unknown>, context: string): void {
  assert(["ok", "warning", "error"].includes(reply.status as string), context);
  assertEquals(typeof reply.code, "number", context);
  if (reply.message !== undefined) assert(!/\n\s+at /.test(String(reply.message)), context);
}

Deno.test("fuzz: 100 000 inputs are answered or closed, and the agent still answers", async () => {
  await using t = await startAgent({
    controlLimits: { requestTimeoutMs: 1_000, idleTimeoutMs: 1_000 },
  });
  // The real 5 s default, checked alongside: one silent client on a default agent.
  await using defaults = await startAgent();
  const silentStarted = performance.now();
  const silent = connect(defaults.path).then(readToEnd);

  const next = seededRandom(0x1ed9e);
  for (let i = 0; i < IN_PROCESS; i++) {
    const bytes = input(next);
    const frame = firstFrame(bytes);
    if (frame?.kind !== "value") continue;
    const text = JSON.stringify(frame.value);
    if (text.includes("terminate") || text.includes("reload")) continue;
    assertReply(await t.agent.commands.execute(frame.value), `in-process input ${i}: ${text}`);
  }

  let answered = 0;
  let index = 0;
  const client = async () => {
    while (index < THROUGH_SOCKET) {
      const i = index++;
      const bytes = input(next);
      if (new TextDecoder().decode(bytes).includes("terminate")) continue;
      const halfClose = next() < 0.995;
      const conn = await connect(t.path);
      const cut = Math.floor(next() * (bytes.length + 1));
      await send(conn, bytes.subarray(0, cut));
      await send(conn, bytes.subarray(cut));
      if (halfClose) await conn.closeWrite();
      const text = await readToEnd(conn);
      const expected = halfClose ? firstFrame(bytes) : undefined;
      if (text === "") {
        assert(!expected, `socket input ${i} closed without answer: ${JSON.stringify([...bytes])}`);
        continue;
      }
      // One line per answer; several only after a keep-alive request.
      assert(text.endsWith("\n"), `socket input ${i}: unterminated answer`);
      const replies = text.slice(0, -1).split("\n").map((line) => JSON.parse(line));
      for (const reply of replies) assertReply(reply, `socket input ${i}`);
      const reply = replies[0];
      if (expected?.kind === "error") {
        assertEquals([reply.code, reply.message], [expected.code, expected.message]);
      }
      answered++;
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, client));
  assert(answered > THROUGH_SOCKET * 0.9, `only ${answered} answered`);

  assertEquals((await ask(t.path, { command: "status" })).code, 200);
  assert(!t.lines.some((l) => l.startsWith("ERROR")), t.lines.join("\n"));

  assertEquals(JSON.parse(await silent).code, 408);
  const waited = performance.now() - silentStarted;
  assert(waited >= 4_900, `default timeout answered after ${waited.toFixed(0)} ms`);
});
