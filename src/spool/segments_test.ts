import { assertEquals } from "../../tests/support/assert.ts";
import { parseSegmentName, segmentLimit, segmentName, segmentsOverCap } from "./segments.ts";

Deno.test("segment names sort by age and only ours parse", () => {
  assertEquals(segmentName(42), "000000000042.ndjson");
  assertEquals(parseSegmentName(segmentName(42)), 42);
  for (const other of ["rejected", "42.ndjson", "000000000042.ndjson.tmp", ".x"]) {
    assertEquals(parseSegmentName(other), undefined);
  }
});

Deno.test("rotation is 256 KiB but at most a quarter of the cap", () => {
  assertEquals(segmentLimit(5 * 1024 * 1024), 256 * 1024);
  assertEquals(segmentLimit(65536), 16384);
});

Deno.test("the cap drops the oldest sealed segments until the total fits", () => {
  const seg = (seq: number, bytes: number) => ({ seq, bytes, records: bytes / 10 });
  const sealed = [seg(1, 100), seg(2, 100), seg(3, 100)];
  assertEquals(segmentsOverCap(sealed, 50, 350), []);
  assertEquals(segmentsOverCap(sealed, 60, 350), [seg(1, 100)]);
  assertEquals(segmentsOverCap(sealed, 200, 300), [seg(1, 100), seg(2, 100)]);
  // The open segment is never dropped, even when it alone is over.
  assertEquals(segmentsOverCap(sealed, 1000, 300), sealed);
});
