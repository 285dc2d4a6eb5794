import { assertEquals } from "../../tests/support/assert.ts";
import { fixture } from "../../tests/support/fixtures.ts";
import { parseProcMeminfo } from "./proc_meminfo.ts";

Deno.test("meminfo: OpenWRT router, kB converted to bytes", () => {
  assertEquals(parseProcMeminfo(fixture("proc/meminfo/openwrt.txt")), {
    value: { total_ram: 124184 * 1024, free_ram: 71244 * 1024 },
    skipped: 0,
  });
});

Deno.test("meminfo: Debian, every line (HugePages without unit too) parses", () => {
  assertEquals(parseProcMeminfo(fixture("proc/meminfo/debian.txt")), {
    value: { total_ram: 24684092 * 1024, free_ram: 22893088 * 1024 },
    skipped: 0,
  });
});

Deno.test("meminfo: garbage lines are counted, good lines kept", () => {
  assertEquals(parseProcMeminfo(fixture("proc/meminfo/garbage.txt")), {
    value: { total_ram: 124184 * 1024 },
    skipped: 4,
  });
});

Deno.test("meminfo: a torn last line is dropped, not read as 712 bytes", () => {
  assertEquals(parseProcMeminfo(fixture("proc/meminfo/truncated.txt")), {
    value: { total_ram: 124184 * 1024 },
    skipped: 1,
  });
});

Deno.test("meminfo: empty file gives nothing and skips nothing", () => {
  assertEquals(parseProcMeminfo(fixture("proc/meminfo/empty.txt")), { value: {}, skipped: 0 });
});
