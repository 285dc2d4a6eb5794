import { assert, assertEquals } from "../../tests/support/assert.ts";
import { boundReply, REPLY_TOO_LARGE } from "./bound.ts";
import type { JobReply } from "./wire.ts";

const size = (r: JobReply) => new TextEncoder().encode(JSON.stringify(r)).length;
const reply = (msg: string, extra: Record<string, unknown> = {}): JobReply => ({
  id: "job-1",
  timestamp: 1484484399,
  app: "socketman",
  event_type: "PROCESSED",
  meta: { msg, type: "command" },
  exit_code: 0,
  ...extra,
});

Deno.test("boundReply: a reply that fits is the same object", () => {
  const r = reply("hello\n");
  assert(boundReply(r, 2048) === r);
});

Deno.test("boundReply: the encoded size is bounded, escapes included, the head kept", () => {
  // 50 KiB of control characters: 6 bytes each once escaped.
  const r = reply("\u0001".repeat(50 * 1024) + "END");
  assert(size(r) > 300_000);
  for (const limit of [65_536, 2048, 1024]) {
    const cut = boundReply(r, limit);
    assert(size(cut) <= limit, `${size(cut)} > ${limit}`);
    assert(size(cut) > limit - 16, "as much as fits");
    assertEquals([cut.truncated, cut.cut_to, cut.id, cut.event_type], [
      true,
      limit,
      "job-1",
      "PROCESSED",
    ]);
    assert((cut.meta as { msg: string }).msg.startsWith("\u0001"));
  }
});

Deno.test("boundReply: stderr gives its head first, keeping its tail", () => {
  const r = reply("out", { stderr: "noise ".repeat(1000) + "FATAL" });
  const cut = boundReply(r, 1024);
  assertEquals((cut.meta as { msg: string }).msg, "out");
  assert((cut.stderr as string).endsWith("FATAL"));
});

Deno.test("boundReply: what cannot fit at all says so and keeps what identifies it", () => {
  const cut = boundReply(reply("x".repeat(5000), { huge: "y".repeat(5000) }), 512);
  assertEquals(cut, {
    id: "job-1",
    app: "socketman",
    timestamp: 1484484399,
    event_type: "PROCESSED",
    meta: { msg: REPLY_TOO_LARGE, type: "command" },
    truncated: true,
    cut_to: 512,
  });
});
