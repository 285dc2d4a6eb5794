import { assert, assertEquals, assertMatch } from "../../tests/support/assert.ts";
import { MAX_MSG_BYTES, parseJob } from "./job.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const json = (value: unknown) => bytes(JSON.stringify(value));

Deno.test("parseJob accepts SocketMan's job and our optional fields", () => {
  const parsed = parseJob(json({
    id: "job-42",
    timestamp: 1484484398,
    meta: { msg: "uptime", type: "command" },
    timeout: 5,
    expires: 1484484999,
    sig: "ab",
  }));
  assert(parsed.ok);
  assertEquals(parsed.job.meta, { msg: "uptime", type: "command" });
  assertEquals([parsed.job.timeout, parsed.job.expires], [5, 1484484999]);
});

Deno.test("parseJob accepts a job with only id and meta.msg", () => {
  const parsed = parseJob(json({ id: "a", meta: { msg: "true" } }));
  assert(parsed.ok);
  assertEquals([parsed.job.timestamp, parsed.job.meta.type], [undefined, undefined]);
});

Deno.test("parseJob refuses bytes that are not UTF-8 or not JSON, without an id", () => {
  assertEquals(parseJob(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])), {
    ok: false,
    reason: "payload is not UTF-8",
  });
  assertEquals(parseJob(bytes('{"id": "x"')), { ok: false, reason: "payload is not JSON" });
});

Deno.test("parseJob names the bad field and keeps a readable id", () => {
  const cases: [unknown, RegExp][] = [
    [{ id: "a", timestamp: 1 }, /^invalid meta: /],
    [{ id: "a", timestamp: "1.5", meta: { msg: "x" } }, /^invalid timestamp: /],
    [{ id: "a", timestamp: "soon", meta: { msg: "x" } }, /^invalid timestamp: /],
    [{ id: "a", timestamp: 1, meta: { msg: true } }, /^invalid meta\.msg: /],
    [{ id: "a", timestamp: 1, meta: { msg: "x" }, timeout: 0 }, /^invalid timeout: /],
    [{ id: "a", timestamp: 1, meta: { msg: "x" }, timeout: 1e9 }, /^invalid timeout: /],
    [{ id: "a", timestamp: 1, meta: { msg: "x".repeat(MAX_MSG_BYTES + 1) } }, /meta\.msg/],
  ];
  for (const [raw, reason] of cases) {
    const parsed = parseJob(json(raw));
    assert(!parsed.ok, JSON.stringify(raw).slice(0, 80));
    assertEquals(parsed.id, "a");
    assertMatch(parsed.reason, reason);
  }
});

Deno.test("parseJob refuses missing, empty, long and non-string ids without echoing them", () => {
  for (const id of [undefined, "", "x".repeat(129), 4.5, true, null]) {
    const parsed = parseJob(json({ id, timestamp: 1, meta: { msg: "x" } }));
    assert(!parsed.ok);
    assertEquals([parsed.id, parsed.anonymous], [undefined, true], "answered under an sm_ id");
    assertMatch(parsed.reason, /^invalid id: /);
  }
  const longest = parseJob(json({ id: "x".repeat(128), timestamp: 1, meta: { msg: "x" } }));
  assert(longest.ok);
});

Deno.test("parseJob counts the 64 KiB limit of meta.msg in bytes", () => {
  const euro = "€".repeat(Math.floor(MAX_MSG_BYTES / 3)); // 3 bytes each: just under
  assert(parseJob(json({ id: "a", timestamp: 1, meta: { msg: euro } })).ok);
  const over = parseJob(json({ id: "a", timestamp: 1, meta: { msg: euro + "€" } }));
  assert(!over.ok);
});

Deno.test("parseJob refuses an oversized payload before decoding it", () => {
  const parsed = parseJob(new Uint8Array(1024 * 1024).fill(0x20));
  assert(!parsed.ok);
  assertMatch(parsed.reason, /payload larger than/);
});

Deno.test("parseJob refuses JSON that is not an object", () => {
  for (const text of ["[]", "null", '"job"', "42"]) {
    const parsed = parseJob(bytes(text));
    assert(!parsed.ok);
    assertEquals(parsed.id, undefined);
  }
});

Deno.test("parseJob reads SocketMan's looser types: numeric id, digit timestamp, numeric msg", () => {
  const parsed = parseJob(json({ id: 12345, timestamp: "1484484399", meta: { msg: 42 } }));
  assert(parsed.ok);
  assertEquals(parsed.job, { id: "12345", timestamp: 1484484399, meta: { msg: "42" } });
  // The raw job stays as sent: a signature covers what the back end signed.
  assertEquals(parsed.raw.id, 12345);
});

Deno.test("parseJob: garbage is not answered; a JSON object without a usable id is", () => {
  assertEquals(parseJob(bytes("garbage")), { ok: false, reason: "payload is not JSON" });
  const idless = parseJob(json({ meta: { msg: "uptime" } }));
  assert(!idless.ok && idless.anonymous);
});
