import { assert, assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { ManualClock } from "../../tests/support/clock.ts";
import { tempDir } from "../../tests/support/process.ts";
import { alteredFs, fullDiskFs } from "../../tests/support/fakes.ts";
import { until } from "../../tests/support/poll.ts";
import { Spool, type SpoolOptions } from "./spool.ts";

const KiB = 1024;

function sample(n: number, pad = 0) {
  return { id: `s${String(n).padStart(6, "0")}`, pad: "x".repeat(pad) };
}

async function idsOf(spool: Spool): Promise<string[]> {
  const ids: string[] = [];
  for (;;) {
    const [segment] = await spool.oldest();
    if (!segment) return ids;
    let text = "";
    await spool.readRecords(segment, (bytes) => void (text += new TextDecoder().decode(bytes)));
    for (const line of text.split("\n").filter(Boolean)) ids.push(JSON.parse(line).id);
    await spool.ack(segment);
  }
}

async function segmentFiles(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) if (e.name.endsWith(".ndjson")) names.push(e.name);
  return names.sort();
}

function open(dir: string, extra: Partial<SpoolOptions> = {}) {
  return Spool.open({ dir, maxBytes: 1024 * KiB, batchBytes: 1, ...extra });
}

Deno.test("records come back in order, and only acked segments are deleted", async () => {
  await using dir = await tempDir();
  const spool = await open(dir.path, { segmentBytes: 4 * KiB });
  for (let i = 0; i < 100; i++) spool.append(sample(i, 100));
  await spool.commit();
  assert((await segmentFiles(dir.path)).length > 2, "rotated into several segments");
  assertEquals(spool.records, 100);
  const [first] = await spool.oldest();
  const [again] = await spool.oldest();
  assertEquals(again.seq, first.seq, "not acked: the same segment is offered again");
  const batch = await spool.oldest(12 * KiB);
  assertEquals(batch[0], first);
  assert(batch.length >= 2 && batch.reduce((n, s) => n + s.bytes, 0) <= 12 * KiB);
  assertEquals(await idsOf(spool), Array.from({ length: 100 }, (_, i) => sample(i).id));
  assertEquals(await segmentFiles(dir.path), []);
  assertEquals(spool.records, 0);
});

Deno.test("a batch being written is still counted as held", async () => {
  await using dir = await tempDir();
  const disk = Promise.withResolvers<void>();
  const fs = alteredFs((_, __, file) => ({
    syncData: () => disk.promise.then(() => file.syncData()),
  }));
  const spool = await open(dir.path, { batchBytes: 10 * KiB, fs });
  spool.append(sample(1));
  spool.append(sample(2));
  const written = spool.commit();
  await until(async () => (await segmentFiles(dir.path)).length === 1, "the write started");
  assertEquals([spool.records, spool.bytes > 0], [2, true], "held while written");
  disk.resolve();
  await written;
  assertEquals(spool.records, 2);
  await spool.close();
});

Deno.test("appends are batched: nothing is written before batchMs or batchBytes", async () => {
  await using dir = await tempDir();
  const clock = new ManualClock();
  const spool = await open(dir.path, { batchBytes: 10 * KiB, batchMs: 30_000, clock });
  spool.append(sample(1));
  spool.append(sample(2));
  assertEquals(await clock.nextSleep(0), 30_000);
  assertEquals(await segmentFiles(dir.path), []);
  clock.advance(30_000);
  await until(async () => (await segmentFiles(dir.path)).length > 0, "the batch after batchMs");
  assertEquals(clock.sleeps, [30_000], "one timer for the whole batch");
  for (let i = 3; i < 200; i++) spool.append(sample(i, 100));
  await spool.close();
  assertEquals((await idsOf(await open(dir.path))).length, 199);
});

Deno.test("over the cap the oldest segments go, counted; the newest are all kept", async () => {
  await using dir = await tempDir();
  let dropped = 0;
  const maxBytes = 64 * KiB;
  const spool = await open(dir.path, { maxBytes, onDrop: (n) => dropped += n });
  const total = 1000;
  for (let i = 0; i < total; i++) spool.append(sample(i, 200));
  await spool.commit();
  assert(spool.bytes <= maxBytes, `${spool.bytes} bytes within the cap`);
  const ids = await idsOf(spool);
  assert(dropped > 0);
  assertEquals(dropped + ids.length, total, "every record is either kept or counted dropped");
  assertEquals(
    ids,
    Array.from({ length: ids.length }, (_, i) => sample(total - ids.length + i).id),
  );
});

Deno.test("a restart resumes the segments in order and skips a torn tail", async () => {
  await using dir = await tempDir();
  const before = await open(dir.path, { segmentBytes: 2 * KiB });
  for (let i = 0; i < 50; i++) before.append(sample(i, 50));
  await before.close();
  const files = await segmentFiles(dir.path);
  // A power cut in the middle of an append: half a record at the end of the last segment.
  await Deno.writeTextFile(`${dir.path}/${files.at(-1)}`, '{"id":"torn","pad":"xx', {
    append: true,
  });
  const damaged: string[] = [];
  const after = await open(dir.path, { onDamage: (segment) => damaged.push(segment) });
  assertEquals(after.records, 50);
  after.append(sample(50));
  await after.commit();
  assertEquals(
    (await segmentFiles(dir.path)).length,
    files.length + 1,
    "new appends never go after a torn tail",
  );
  assertEquals(await idsOf(after), Array.from({ length: 51 }, (_, i) => sample(i).id));
  assertEquals(damaged, [files.at(-1)]);
});

Deno.test("a refused segment is set aside in rejected/, which stays capped", async () => {
  await using dir = await tempDir();
  const spool = await open(dir.path, { segmentBytes: 1 * KiB, maxRejected: 3 });
  for (let i = 0; i < 80; i++) spool.append(sample(i, 100));
  await spool.commit();
  let setAside = 0;
  for (let i = 0; i < 5; i++) setAside += await spool.setAside((await spool.oldest())[0]);
  const rejected = [];
  for await (const e of Deno.readDir(`${dir.path}/rejected`)) rejected.push(e.name);
  assertEquals(rejected.length, 3);
  assertEquals(spool.records, 80 - setAside);
  const left = await idsOf(spool);
  assertEquals(left[0], sample(setAside).id);
});

Deno.test("appends that are not JSON lines are refused", async () => {
  await using dir = await tempDir();
  const spool = await open(dir.path);
  let refused = 0;
  for (const bad of [undefined, () => 1]) {
    try {
      spool.append(bad);
    } catch {
      refused++;
    }
  }
  assertEquals(refused, 2);
  await spool.close();
});

Deno.test("one spool per directory: a second is refused until the first closes", async () => {
  await using dir = await tempDir();
  const first = await open(dir.path);
  await assertRejects(() => open(dir.path), /in use by another spool/);
  await first.close();
  await (await open(dir.path)).close();
});

Deno.test("a disk too full for the batch still lets what is on it go: the upload frees it", async () => {
  await using dir = await tempDir();
  let full = false;
  const refusing = fullDiskFs(() => full);
  const spool = await open(dir.path, { fs: refusing, batchBytes: 64 * KiB });
  for (let i = 0; i < 10; i++) spool.append(sample(i));
  await spool.commit();
  full = true;
  for (let i = 10; i < 13; i++) spool.append(sample(i));
  const [onDisk] = await spool.oldest();
  assertEquals(onDisk?.records, 10, "the segment on disk is offered despite the batch");
  assertEquals(await spool.ack(onDisk), 10);
  assertEquals(spool.records, 3, "the batch is kept in memory");
  full = false;
  assertEquals(await idsOf(spool), [sample(10).id, sample(11).id, sample(12).id]);
});
