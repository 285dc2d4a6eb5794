import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { runLedge, tempDir } from "./support/process.ts";

// Deno refuses /proc and /sys without --allow-all; `cat` reads them (src/collect/kernel_fs.ts),
// and `grep` the interface files at once; these flags leave grep out.
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
  // SocketMan's lists are there, empty, without Wi-Fi.
  assertEquals([sample.ssids, sample.stations, sample.survey], [[], [], []]);
  assert(!/wireless/.test(stderr), stderr);
  // Only what these flags leave out is reported, one line each.
  const warnings = stderr.split("\n").filter(Boolean);
  assert(warnings.every((l) => /source=(model|dhcp|interfaces) /.test(l)), stderr);
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

/** The flags `check-config --print-permissions` gives this config. */
async function presetOf(config: string): Promise<string[]> {
  const { code, stdout, stderr } = await runLedge(
    ["check-config", config, "--print-permissions"],
    [`--allow-read=${config}`],
  );
  assertEquals(code, 0, stderr);
  return stdout.trim().split(" ");
}

Deno.test("ledge collect under the preset: interfaces keep ifindex, up and mtu", async () => {
  await using dir = await tempDir();
  const config = `${dir.path}/config.json`;
  await Deno.writeTextFile(config, JSON.stringify({ mac: "AA", scan: 0 }));
  const { code, stdout, stderr } = await runLedge(
    ["collect", `--config=${config}`],
    await presetOf(config),
  );
  assertEquals(code, 0, stderr);
  const sample = JSON.parse(stdout);
  const lo = sample.interfaces.find((i: { name: string }) => i.name === "lo");
  assertEquals([typeof lo.ifindex, lo.up, typeof lo.mtu], ["number", true, "number"], stdout);
  assertEquals(sample.errors?.interfaces, undefined, stdout);
});

Deno.test("ledge collect without grep: the interfaces say what they lack and why", async () => {
  const { code, stdout } = await runLedge(["collect"], NARROW);
  assertEquals(code, 0);
  const sample = JSON.parse(stdout);
  assertMatch(sample.errors.interfaces, /^ifindex, mac, up and mtu unknown: .*grep/);
  assert(sample.interfaces.some((i: { rx_bytes?: number }) => typeof i.rx_bytes === "number"));
});

Deno.test("a lease file without bounds: 50 MB or /dev/zero is refused at 1 MiB, the rest comes", async () => {
  await using dir = await tempDir();
  const big = `${dir.path}/big.leases`;
  await Deno.writeTextFile(
    big,
    "1732423600 aa:bb:cc:dd:ee:ff 10.0.0.1 host-with-a-name *\n".repeat(900_000),
  );
  await Deno.symlink("/dev/zero", `${dir.path}/zero.leases`);
  for (const leases of [big, `${dir.path}/zero.leases`]) {
    const config = `${dir.path}/config.json`;
    await Deno.writeTextFile(config, JSON.stringify({ mac: "AA", scan: 0, dhcp_leases: leases }));
    const { code, stdout, stderr } = await runLedge(
      ["collect", `--config=${config}`],
      await presetOf(config),
    );
    assertEquals(code, 0, stderr);
    const sample = JSON.parse(stdout);
    assertMatch(sample.errors.dhcp, /is larger than 1048576 bytes/);
    assertEquals(sample.dhcp, []);
    assert(typeof sample.device.uptime === "number", "the other sources still report");
  }
});
