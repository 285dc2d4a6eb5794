import { assert, assertEquals, assertMatch, assertThrows } from "../../tests/support/assert.ts";
import { testConfig, testContext } from "../../tests/support/context.ts";
import { tempDir } from "../../tests/support/process.ts";
import { SpoolCapability } from "./capability.ts";
import { Spool } from "./spool.ts";

const lease = (i: number) => ({
  mac: "02:00:00:00:00:01",
  ip: `10.0.${i >> 8}.${i & 255}`,
  expires: i,
});

Deno.test("the spool refuses a record larger than a segment", async () => {
  await using dir = await tempDir();
  await using spool = await Spool.open({ dir: dir.path, maxBytes: 5 << 20 });
  assertEquals(spool.maxRecordBytes, 256 * 1024);
  assertThrows(() => spool.append({ pad: "x".repeat(300 * 1024) }), /larger than the 262144 bytes/);
  assertEquals(spool.records, 0);
});

Deno.test("an oversized sample is cut to what the cache holds, and says so", async () => {
  await using dir = await tempDir();
  const ctx = testContext(testConfig({ mac: "AA", cache_dir: dir.path }));
  const capability = new SpoolCapability(ctx);
  await capability.start();
  const dhcp = Array.from({ length: 20_000 }, (_, i) => lease(i));
  await capability.push({ id: "big", device: {}, dhcp });
  await capability.stop();
  const [name] = [...Deno.readDirSync(dir.path)].map((e) => e.name).filter((n) =>
    n.endsWith(".ndjson")
  );
  const line = await Deno.readTextFile(`${dir.path}/${name}`);
  assert(new TextEncoder().encode(line).length <= 256 * 1024, `${line.length} bytes`);
  const stored = JSON.parse(line);
  assertMatch(stored.errors.dhcp, /^kept \d+ of 20000: a sample is capped at 262144 bytes$/);
  assertEquals([ctx.counters.get("stats-cached"), ctx.counters.get("stats-dropped")], [1, 0]);
});

Deno.test("while the cache is not running, a sample is counted as dropped", async () => {
  const ctx = testContext(testConfig({ mac: "AA" }));
  const capability = new SpoolCapability(ctx);
  const error = await capability.push({ id: "x", device: {} }).catch((e) => e);
  assertMatch(String(error), /cache not running/);
  assertEquals(ctx.counters.get("stats-dropped"), 1);
});
