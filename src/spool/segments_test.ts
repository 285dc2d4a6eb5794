import { assertEquals } from "../../tests/support/assert.ts";
import {
  oldestWithin,
  parseSegmentName,
  segmentLimit,
  segmentName,
  segmentsOverCap,
} from "./segments.ts";

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

Deno.test("a read takes the oldest segment, and the next ones while within the limit", () => {
  const seg = (seq: number, bytes: number) => ({ seq, bytes, records: 1 });
  const sealed = [seg(1, 300), seg(2, 100), seg(3, 100), seg(4, 100)];
  assertEquals(oldestWithin(sealed, 0), [seg(1, 300)]);
  assertEquals(oldestWithin(sealed, 250), [seg(1, 300)], "the first even when over");
  assertEquals(oldestWithin(sealed, 500), sealed.slice(0, 3));
  assertEquals(oldestWithin([], 500), []);
});
