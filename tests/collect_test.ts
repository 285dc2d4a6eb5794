import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { runLedge } from "./support/process.ts";

// Deno refuses /proc and /sys without --allow-all; `cat` reads them (src/collect/kernel_fs.ts).
const NARROW = [
  "--allow-read=/proc,/sys,/etc",
  "--allow-sys=networkInterfaces",
  "--allow-run=cat",
];

Deno.test("ledge collect: a valid sample of this machine with narrow flags, wireless omitted", async () => {
  const { code, stdout, stderr } = await runLedge(["collect"], NARROW);
  assertEquals(code, 0, stderr);
  const sample = JSON.parse(stdout);
  assertMatch(sample.id, /^[0-9A-HJKMNP-TV-Z]{26}$/);
  const device = sample.device;
  for (const key of ["created_at", "uptime", "total_ram", "free_ram", "procs", "load_1"]) {
    assert(typeof device[key] === "number", `device.${key}: ${JSON.stringify(device)}`);
  }
  assert(device.total_ram >= device.free_ram);
  const lo = sample.interfaces.find((i: { name: string }) => i.name === "lo");
  assert(lo?.addresses?.includes("127.0.0.1/8"), JSON.stringify(lo));
  assertEquals(typeof lo.rx_bytes, "number");
  assertEquals([sample.ssids, sample.stations, sample.survey], [undefined, undefined, undefined]);
  assert(!/wireless/.test(stderr), stderr);
  // Only what these flags leave out is reported, one line each.
  const warnings = stderr.split("\n").filter(Boolean);
  assert(warnings.every((l) => /source=(model|dhcp) /.test(l)), stderr);
});

Deno.test("ledge collect --pretty: indented JSON", async () => {
  const { code, stdout } = await runLedge(["collect", "--pretty"], NARROW);
  assertEquals(code, 0);
  assertMatch(stdout, /^\{\n {2}"id": /);
});

Deno.test("ledge collect without cat: each refused source is one warning, not a failure", async () => {
  const { code, stdout, stderr } = await runLedge(["collect"], NARROW.slice(0, 2));
  assertEquals(code, 0, stderr);
  assert(JSON.parse(stdout).device.firmware, stdout);
  const uptime = stderr.split("\n").filter((l) => l.includes("source=uptime"));
  assertEquals(uptime.length, 1, stderr);
  assertMatch(uptime[0], /^WARN collect source omitted: permission missing/);
});

Deno.test("ledge collect without cat: uptime, load and memory from --allow-sys", async () => {
  const sys = "--allow-sys=networkInterfaces,osUptime,loadavg,systemMemoryInfo";
  const { code, stdout, stderr } = await runLedge(["collect"], [NARROW[0], sys]);
  assertEquals(code, 0, stderr);
  const { device } = JSON.parse(stdout);
  for (const key of ["uptime", "load_1", "total_ram", "free_ram"]) {
    assert(typeof device[key] === "number", `${key}: ${stdout}`);
  }
  assert(!stderr.includes("source=uptime"), stderr);
});

Deno.test("ledge collect with no permission at all: exit 1, nothing could be read", async () => {
  const { code, stdout, stderr } = await runLedge(["collect"]);
  assertEquals(code, 1, stderr);
  assertEquals(JSON.parse(stdout).device.created_at > 0, true);
});
