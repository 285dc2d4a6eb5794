import { assert, assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { alteredFs } from "../../tests/support/fakes.ts";
import { tempDir } from "../../tests/support/process.ts";
import { JobJournal, JOURNAL_FILE } from "./journal.ts";

const DAY = 86_400_000;

function clockAt(ms: number) {
  const clock = { ms, now: () => clock.ms };
  return clock;
}

Deno.test("JobJournal remembers ids across a re-open", async () => {
  await using dir = await tempDir();
  const clock = clockAt(Date.UTC(2026, 0, 1));
  const first = await JobJournal.open(dir.path, clock);
  await Promise.all([first.append("a"), first.append("b"), first.append('we"ird\nid')]);
  assert(first.has("a"));
  await first.close();
  const second = await JobJournal.open(dir.path, clock);
  assert(second.has("a") && second.has("b") && second.has('we"ird\nid'));
  assert(!second.has("c"));
  assertEquals(second.size, 3);
  await second.close();
});

Deno.test("JobJournal claims an id before its write completes", async () => {
  await using dir = await tempDir();
  const journal = await JobJournal.open(dir.path, clockAt(0));
  const written = journal.append("x");
  assert(journal.has("x"));
  await written;
  await journal.close();
});

Deno.test("JobJournal writes an id and asks for its sync within append", async () => {
  await using dir = await tempDir();
  const disk = Promise.withResolvers<void>();
  let holding = false;
  let syncs = 0;
  const fs = alteredFs((_, __, file) => ({
    sync: () => (syncs++, holding ? disk.promise.then(() => file.sync()) : file.sync()),
  }));
  const journal = await JobJournal.open(dir.path, { ...clockAt(0), fs });
  await journal.append("first"); // opens the file: the one append that waits before its write
  holding = true;
  let durable = false;
  const appended = journal.append("early").then(() => void (durable = true));
  // Before any await: the line is in the file, and its sync started.
  assert(Deno.readTextFileSync(`${dir.path}/${JOURNAL_FILE}`).includes("early"));
  assertEquals(syncs, 2);
  await Promise.resolve();
  assert(!durable, "durable before its sync");
  disk.resolve();
  await appended;
  assert(durable);
  await journal.close();
});

Deno.test("JobJournal skips a torn last line and keeps the rest", async () => {
  await using dir = await tempDir();
  const clock = clockAt(Date.UTC(2026, 0, 1));
  const at = clock.ms / 1000;
  await Deno.writeTextFile(
    `${dir.path}/${JOURNAL_FILE}`,
    `[${at},"a"]\n[${at},"b"]\n[${at},"c`,
  );
  const journal = await JobJournal.open(dir.path, clock);
  assertEquals([journal.has("a"), journal.has("b"), journal.has("c")], [true, true, false]);
  await journal.append("d");
  await journal.close();
  const reopened = await JobJournal.open(dir.path, clock);
  assertEquals([reopened.has("b"), reopened.has("d")], [true, true]);
  await reopened.close();
});

Deno.test("JobJournal forgets ids older than its age limit", async () => {
  await using dir = await tempDir();
  const clock = clockAt(Date.UTC(2026, 0, 1));
  const journal = await JobJournal.open(dir.path, clock);
  await journal.append("old");
  clock.ms += 6 * DAY;
  await journal.append("recent");
  await journal.close();
  clock.ms += 2 * DAY;
  const later = await JobJournal.open(dir.path, clock);
  assertEquals([later.has("old"), later.has("recent")], [false, true]);
  await later.close();
  const lines = (await Deno.readTextFile(`${dir.path}/${JOURNAL_FILE}`)).trim().split("\n");
  assertEquals(lines.length, 1, "the expired id was compacted away");
});

Deno.test("JobJournal keeps the newest maxIds and compacts the file when it doubles", async () => {
  await using dir = await tempDir();
  const clock = clockAt(Date.UTC(2026, 0, 1));
  const path = `${dir.path}/${JOURNAL_FILE}`;
  const journal = await JobJournal.open(dir.path, { ...clock, maxIds: 100 });
  for (let i = 0; i < 250; i++) await journal.append(`id-${i}`);
  assertEquals(journal.size, 100);
  assert(!journal.has("id-149") && journal.has("id-150") && journal.has("id-249"));
  const lines = (await Deno.readTextFile(path)).trim().split("\n").length;
  assert(lines <= 200, `file bounded at twice maxIds, has ${lines} lines`);
  await journal.close();
  const reopened = await JobJournal.open(dir.path, { ...clock, maxIds: 100 });
  assert(!reopened.has("id-149") && reopened.has("id-150") && reopened.has("id-249"));
  await reopened.close();
});

Deno.test("JobJournal loads 10 000 ids (its time: bench/jobs.ts)", async () => {
  await using dir = await tempDir();
  const clock = clockAt(Date.UTC(2026, 0, 1));
  const at = clock.ms / 1000;
  const lines = Array.from({ length: 10_000 }, (_, i) => JSON.stringify([at, `job-${i}`]));
  await Deno.writeTextFile(`${dir.path}/${JOURNAL_FILE}`, lines.join("\n") + "\n");
  const journal = await JobJournal.open(dir.path, clock);
  assertEquals(journal.size, 10_000);
  assert(journal.has("job-0") && journal.has("job-9999"));
  await journal.close();
});

Deno.test("JobJournal withdraws a claim whose write failed", async () => {
  await using dir = await tempDir();
  const journal = await JobJournal.open(`${dir.path}/state`, clockAt(0));
  await Deno.remove(`${dir.path}/state`, { recursive: true });
  await Deno.writeTextFile(`${dir.path}/state`, "a file where the directory was");
  await assertRejects(() => journal.append("lost"));
  assert(!journal.has("lost"));
  await journal.close();
});
