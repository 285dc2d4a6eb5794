import { assertEquals, assertMatch, assertThrows } from "../../tests/support/assert.ts";
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

Deno.test("the capability's limit is a segment's: what the collector bounds samples to", async () => {
  await using dir = await tempDir();
  const ctx = testContext(testConfig({ mac: "AA", cache_dir: dir.path, cache_max: 200_000 }));
  const capability = new SpoolCapability(ctx);
  assertEquals(capability.maxBytes, 50_000, "a quarter of cache_max, below 256 KiB");
  await capability.start();
  const dhcp = Array.from({ length: 2_000 }, (_, i) => lease(i));
  const error = await capability.push({ id: "big", device: {}, dhcp }).catch((e) => e);
  assertMatch(String(error), /larger than the 50000 bytes a segment holds/);
  await capability.push({ id: "small", device: {} });
  await capability.stop();
  assertEquals(ctx.counters.get("stats-cached"), 1);
});

Deno.test("while the cache is not running, a sample is refused, saying why", async () => {
  const ctx = testContext(testConfig({ mac: "AA" }));
  const capability = new SpoolCapability(ctx);
  const error = await capability.push({ id: "x", device: {} }).catch((e) => e);
  assertMatch(String(error), /cache not running/);
  assertEquals(ctx.counters.get("stats-cached"), 0);
});
