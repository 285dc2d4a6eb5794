import { assertEquals } from "../../tests/support/assert.ts";
import { fixture } from "../../tests/support/fixtures.ts";
import { parseProcLoadavg } from "./proc_loadavg.ts";
import { parseProcStat } from "./proc_stat.ts";
import { parseProcUptime } from "./proc_uptime.ts";

Deno.test("uptime: whole seconds, OpenWRT and Debian", () => {
  assertEquals(parseProcUptime(fixture("proc/uptime/openwrt.txt")), {
    value: { uptime: 350859 },
    skipped: 0,
  });
  assertEquals(parseProcUptime(fixture("proc/uptime/debian.txt")), {
    value: { uptime: 2679 },
    skipped: 0,
  });
});

Deno.test("uptime: garbage is counted, empty is nothing", () => {
  assertEquals(parseProcUptime(fixture("proc/uptime/garbage.txt")), { value: {}, skipped: 1 });
  assertEquals(parseProcUptime(""), { value: {}, skipped: 0 });
  assertEquals(parseProcUptime("-1 0\n"), { value: {}, skipped: 1 });
});

Deno.test("loadavg: three loads and the task count sysinfo calls procs", () => {
  assertEquals(parseProcLoadavg(fixture("proc/loadavg/openwrt.txt")), {
    value: { load_1: 0.08, load_5: 0.03, load_15: 0.01, procs: 61 },
    skipped: 0,
  });
  assertEquals(parseProcLoadavg(fixture("proc/loadavg/debian.txt")), {
    value: { load_1: 2.89, load_5: 1.06, load_15: 0.43, procs: 123 },
    skipped: 0,
  });
});

Deno.test("loadavg: truncated is counted; a missing task field is omitted", () => {
  assertEquals(parseProcLoadavg(fixture("proc/loadavg/truncated.txt")), { value: {}, skipped: 1 });
  assertEquals(parseProcLoadavg("1 2 3\n"), {
    value: { load_1: 1, load_5: 2, load_15: 3 },
    skipped: 0,
  });
});

Deno.test("stat: procs running and blocked, other lines ignored", () => {
  assertEquals(parseProcStat(fixture("proc/stat/openwrt.txt")), {
    value: { procs_running: 1, procs_blocked: 0 },
    skipped: 0,
  });
  assertEquals(parseProcStat(fixture("proc/stat/debian.txt")), {
    value: { procs_running: 3, procs_blocked: 0 },
    skipped: 0,
  });
});

Deno.test("stat: garbage lines and bad values are counted", () => {
  assertEquals(parseProcStat(fixture("proc/stat/garbage.txt")), {
    value: { procs_blocked: 2 },
    skipped: 2,
  });
});
