import { assert, assertEquals } from "../../tests/support/assert.ts";
import { tempDir } from "../../tests/support/process.ts";
import { until } from "../../tests/support/poll.ts";
import { Counters } from "../counters.ts";
import type { JobReply, ReplyKind } from "./wire.ts";
import { denoNet, systemClock } from "../io/mod.ts";
import { memoryLogger } from "../log/logger.ts";
import { Outbox } from "./outbox.ts";
import { OutboxReplyChannel, type ReplyTransport } from "./channel.ts";
import { restTransport } from "./rest.ts";

/** A transport that is up or down at the test's command and records what it delivered. */
class FakeTransport implements ReplyTransport {
  up = false;
  delivered: string[] = [];
  ready() {
    return this.up;
  }
  deliver(kind: ReplyKind, reply: JobReply) {
    if (!this.up) return { acked: Promise.reject(new Error("down")), written: undefined };
    this.delivered.push(`${kind}:${reply.id}`);
    return { acked: Promise.resolve(), written: undefined };
  }
}

async function channel(dir: string, transport: ReplyTransport) {
  const counters = new Counters();
  const { log } = memoryLogger();
  const replies = new OutboxReplyChannel(transport, new Outbox(`${dir}/outbox.jsonl`), {
    log,
    counters,
    clock: systemClock,
    retryMaxS: 1,
  });
  await replies.open();
  return { replies, counters };
}

const reply = (id: string): JobReply => ({ id, event_type: "PROCESSED", meta: { msg: "out" } });

Deno.test("replies wait while the transport is down, then go out in order", async () => {
  await using dir = await tempDir();
  const transport = new FakeTransport();
  const { replies, counters } = await channel(dir.path, transport);
  replies.send("delivery", reply("a"));
  replies.send("result", reply("a"));
  replies.send("result", reply("b"));
  await until(() => replies.waiting === 3, "three waiting");
  transport.up = true;
  replies.send("result", reply("c")); // behind the waiting ones, not before them
  replies.drain();
  await until(() => transport.delivered.length === 4, "all delivered");
  assertEquals(transport.delivered, ["delivery:a", "result:a", "result:b", "result:c"]);
  assertEquals(counters.get("replies-sent"), 4);
  await replies.close();
  assertEquals(await Deno.readTextFile(`${dir.path}/outbox.jsonl`), "");
});

Deno.test("replies left at shutdown are sent by the next run", async () => {
  await using dir = await tempDir();
  const first = await channel(dir.path, new FakeTransport());
  first.replies.send("result", reply("kept"));
  await first.replies.close();
  const transport = new FakeTransport();
  transport.up = true;
  const second = await channel(dir.path, transport);
  await until(() => transport.delivered.length === 1, "the kept reply");
  assertEquals(transport.delivered, ["result:kept"]);
  await second.replies.close();
});

Deno.test("REST: api_url failing falls back to backup_url, with the token", async () => {
  await using dir = await tempDir();
  const seen: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    seen.push(`${url.pathname} ${url.searchParams.get("access_token")} ${await req.text()}`);
    // A SocketMan-era API could answer with a command: it must never run.
    if (url.pathname === "/api") return new Response('{"cmd":"reboot"}', { status: 503 });
    return new Response('{"cmd":"touch /tmp/pwned"}');
  });
  const base = `http://127.0.0.1:${server.addr.port}`;
  try {
    const transport = restTransport(denoNet, {
      format: "post",
      urls: [`${base}/api`, `${base}/backup`],
      token: "t0ken",
    });
    const { replies, counters } = await channel(dir.path, transport);
    replies.send("result", { ...reply("j1"), exit_code: 0 });
    await until(() => counters.get("replies-sent") === 1, "the result sent");
    const body = '{"id":"j1","success":true,"output":"out","event_type":"PROCESSED","exit_code":0}';
    assertEquals(seen, [`/api t0ken ${body}`, `/backup t0ken ${body}`]);
    await replies.close();
  } finally {
    await server.shutdown();
  }
});

Deno.test("REST: with every URL down the result waits in the outbox", async () => {
  await using dir = await tempDir();
  const transport = restTransport(denoNet, {
    format: "post",
    urls: ["http://127.0.0.1:9/x"],
    token: undefined,
    timeoutMs: 2000,
  });
  const { replies, counters } = await channel(dir.path, transport);
  replies.send("result", reply("j1"));
  await until(() => counters.get("replies-queued") === 1 && replies.waiting === 1, "queued");
  assert((await Deno.readTextFile(`${dir.path}/outbox.jsonl`)).includes('"j1"'));
  await replies.close();
});

Deno.test("a reply the broker refuses with a reason (not its size) is kept whole, said once, and holds none behind it", async () => {
  await using dir = await tempDir();
  const refusal = Object.assign(new Error("publish refused by the broker: not authorized"), {
    reason: 0x87,
  });
  let attempts = 0;
  const sizes: number[] = [];
  const delivered: string[] = [];
  const transport: ReplyTransport = {
    ready: () => true,
    deliver: (_kind, r) => {
      if (r.id !== "j") {
        delivered.push(r.id);
        return { acked: Promise.resolve(), written: undefined };
      }
      attempts++;
      sizes.push(JSON.stringify(r).length);
      return { acked: Promise.reject(refusal), written: undefined };
    },
  };
  const counters = new Counters();
  const { log, lines } = memoryLogger();
  const replies = new OutboxReplyChannel(transport, new Outbox(`${dir.path}/outbox.jsonl`), {
    log,
    counters,
    clock: systemClock,
    retryMaxS: 1,
  });
  await replies.open();
  replies.send("result", { id: "j", event_type: "PROCESSED", meta: { msg: "x".repeat(2000) } });
  await until(() => attempts >= 1, "tried");
  replies.send("result", { id: "k", event_type: "PROCESSED" });
  replies.send("result", { id: "l", event_type: "PROCESSED" });
  await until(() => delivered.length === 2, "the replies behind it sent");
  assertEquals(delivered, ["k", "l"]);
  await until(() => attempts >= 3, "tried again", 10_000);
  assertEquals(replies.waiting, 1, "kept in the outbox");
  assertEquals(
    (await Deno.readTextFile(`${dir.path}/outbox.jsonl`)).trim().split("\n").length,
    1,
    "only the refused one on disk",
  );
  assertEquals(new Set(sizes).size, 1, "never cut");
  assertEquals(lines.filter((l) => l.includes("reply refused by the broker, kept")).length, 1);
  assertEquals(counters.get("replies-cut"), 0);
  await replies.close();
});
