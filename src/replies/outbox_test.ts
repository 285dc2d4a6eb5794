import { assertEquals } from "../../tests/support/assert.ts";
import { tempDir } from "../../tests/support/process.ts";
import { JsonLinesFile } from "../io/jsonl_file.ts";
import { Outbox } from "./outbox.ts";

const reply = (id: string) => ({ kind: "result" as const, reply: { id, event_type: "PROCESSED" } });

Deno.test("the outbox keeps order and routes across a restart and forgets what was sent", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/state/outbox.jsonl`; // the state dir is made on first load
  const first = new Outbox(path);
  await first.load();
  const route = { responseTopic: "answers/1", correlation: "AQL6", userProperties: [["t", "1"]] };
  for (const id of ["a", "b", "c"]) await first.append(reply(id));
  await first.append({ ...reply("d"), route: route as never });
  const second = new Outbox(path);
  await second.load();
  assertEquals(second.size, 4);
  assertEquals(second.at(0)?.reply.id, "a");
  // Sent out of order: a reply parked by a refusal stays behind the ones that went.
  await second.remove(new Set([second.at(0)!, second.at(2)!]));
  const third = new Outbox(path);
  await third.load();
  assertEquals([third.size, third.at(0)?.reply.id, third.at(1)?.reply.id], [2, "b", "d"]);
  assertEquals(third.at(1), { ...reply("d"), route });
});

Deno.test("the outbox is bounded: the oldest replies are dropped first", async () => {
  await using dir = await tempDir();
  const outbox = new Outbox(`${dir.path}/o`, { maxEntries: 2, maxBytes: 1 << 20 });
  await outbox.load();
  assertEquals(await outbox.append(reply("a")), 0);
  await outbox.append(reply("b"));
  assertEquals(await outbox.append(reply("c")), 1);
  const reloaded = new Outbox(`${dir.path}/o`);
  await reloaded.load();
  assertEquals([reloaded.size, reloaded.at(0)?.reply.id], [2, "b"]);
  const small = new Outbox(`${dir.path}/s`, { maxEntries: 100, maxBytes: 130 });
  await small.load();
  for (const id of ["a", "b", "c"]) await small.append(reply(id));
  assertEquals(small.size, 2);
});

Deno.test("a torn last line and foreign lines are skipped, not fatal", async () => {
  await using dir = await tempDir();
  const text = [
    JSON.stringify(reply("a")),
    '{"kind":"result","reply":{"id":1}}',
    // A route whose correlation data would not decode when sent.
    JSON.stringify({ ...reply("c"), route: { correlation: "not base64!" } }),
    "not json",
    JSON.stringify(reply("b")),
    '{"kind":"res',
  ].join("\n");
  await Deno.writeTextFile(`${dir.path}/o`, text);
  const outbox = new Outbox(`${dir.path}/o`);
  assertEquals(await outbox.load(), { skipped: 4 });
  assertEquals([outbox.at(0)?.reply.id, outbox.at(1)?.reply.id, outbox.size], ["a", "b", 2]);
  const rewritten = await new JsonLinesFile(`${dir.path}/o`).read();
  assertEquals(rewritten.skipped, 0, "the unreadable lines are gone from the file");
});
