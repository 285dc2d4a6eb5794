import { VERSION } from "../version.ts";
import { testContext } from "../../tests/support/context.ts";
import { validateConfig } from "../config/mod.ts";
import { assert, assertEquals, assertMatch } from "../../tests/support/assert.ts";
import { ManualClock } from "../../tests/support/clock.ts";
import { fakeRouter, fakeSystem } from "../../tests/support/fake_router.ts";
import { FakeFs } from "../../tests/support/fakes.ts";
import { CollectCapability, type CollectOptions } from "./capability.ts";
import type { Sample, SampleSink } from "./sink.ts";
import type { Source } from "./source.ts";
import { defaultSources } from "./sources.ts";

/** A sink whose samples can be awaited one by one. */
class AwaitableSink implements SampleSink {
  constructor(readonly maxBytes = 256 * 1024) {}
  samples: Sample[] = [];
  #waiters: ((s: Sample) => void)[] = [];
  push(sample: Sample): Promise<void> {
    this.samples.push(sample);
    this.#waiters.shift()?.(sample);
    return Promise.resolve();
  }
  next(): Promise<Sample> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }
}

function setup(
  configPatch: Record<string, unknown> = {},
  options: CollectOptions = {},
  size = { interfaces: 3, leases: 4, stations: 2 },
  sinkBytes?: number,
) {
  const validation = validateConfig(configPatch);
  if (!validation.ok) throw new Error(validation.errors.join("; "));
  const clock = new ManualClock(1732420000000);
  const { fs, exec } = fakeRouter(size);
  const ctx = testContext(validation.config, { clock, fs, exec }, { mac: "88-DC-96-00-00-01" });
  const { counters, commands, lines: logs } = ctx;
  const sink = new AwaitableSink(sinkBytes);
  const collector = new CollectCapability(ctx, sink, {
    system: fakeSystem(size.interfaces),
    allowed: () => true,
    random: () => 0.5,
    ...options,
  });
  return {
    collector,
    ctx,
    clock,
    fs,
    exec,
    logs,
    counters,
    commands,
    sink,
    config: validation.config,
  };
}

Deno.test("collector: one sample with device, interfaces, wireless and dhcp, exact", async () => {
  const { collector, sink, counters } = setup();
  const { sample, read } = await collector.collect();
  assertEquals(read, 11);
  assertEquals(sink.samples, [sample]);
  assertMatch(sample.id, /^[0-9A-HJKMNP-TV-Z]{26}$/);
  assertEquals(sample.device, {
    mac: "88-DC-96-00-00-01",
    created_at: 1732420000,
    uptime: 350859,
    load_1: 0.08,
    load_5: 0.03,
    load_15: 0.01,
    total_ram: 124184 * 1024,
    free_ram: 71244 * 1024,
    procs: 61,
    procs_running: 1,
    procs_blocked: 0,
    wan_name: "eth1",
    wan_ip: "10.0.0.2",
    wan_gateway: "10.0.0.1",
    tx_bytes: 2001,
    rx_bytes: 2000,
    machine_type: "TP-Link Archer C7 v5",
    firmware: "OpenWrt 23.05.2 r23630-842932a63d",
    // SocketMan's own: its version, the format's, the connection code, the Wi-Fi clients.
    smv: VERSION,
    v: "4",
    status: 9,
    connected: 2,
  });
  // In SocketMan's key order, ledge's own after.
  assertEquals(Object.keys(sample.device).slice(0, 7), [
    "firmware",
    "wan_name",
    "wan_gateway",
    "wan_ip",
    "machine_type",
    "smv",
    "mac",
  ]);
  const interfaces = sample.interfaces!;
  assertEquals(interfaces.map((i) => i.name), ["eth0", "eth1", "eth2"]);
  assertEquals(interfaces[1], {
    ifindex: 3,
    name: "eth1",
    mac: "02:01:00:00:00:01",
    up: true,
    mtu: 1500,
    addresses: ["10.0.0.2/24"],
    rx_bytes: 2000,
    tx_bytes: 2001,
    rx_packets: 2002,
    tx_packets: 2003,
    rx_errors: 0,
    tx_errors: 0,
    rx_dropped: 0,
    tx_dropped: 0,
  });
  assertEquals(sample.ssids, [
    { interface: "wlan0", ssid: "Cafe", bssid: "60:38:E0:11:22:33", channel: 36, signal: -40 },
  ]);
  assertEquals((sample.stations as unknown[]).length, 2);
  assertEquals((sample.dhcp as unknown[]).length, 4);
  assertEquals(sample.survey, [], "SocketMan's lists are there, empty");
  assertEquals(sample.errors, undefined);
  assertEquals(counters.get("stats-collected"), 1);
  assertEquals(counters.get("collect-lines-skipped"), 0);
});

Deno.test("collector: a sample its sink refuses is counted as dropped, the reason logged once", async () => {
  const { collector, sink, counters, logs } = setup({ scan: 0 });
  sink.push = () => Promise.reject(new Error("cache not running"));
  await collector.collect();
  await collector.collect();
  assertEquals([counters.get("stats-collected"), counters.get("stats-dropped")], [2, 2]);
  assertEquals(logs.filter((l) => l.includes("cache not running")).length, 1);
});

Deno.test("collector: a sample larger than its sink takes is cut down there, and says so", async () => {
  const { collector, sink } = setup({}, {}, { interfaces: 3, leases: 2_000, stations: 2 }, 32_768);
  await collector.collect();
  const [sample] = sink.samples;
  assert(new TextEncoder().encode(JSON.stringify(sample)).length <= 32_768);
  assertMatch(sample.errors?.dhcp ?? "", /^kept \d+ of 2000: a sample is capped at 32768 bytes$/);
});

Deno.test("collector: scan 0 runs no wireless program; survey 1 adds the neighbours", async () => {
  const off = setup({ scan: 0 });
  const quiet = (await off.collector.collect()).sample;
  assertEquals(off.exec.calls, []);
  assertEquals([quiet.ssids, quiet.stations, quiet.device.connected], [[], [], 0]);

  const on = setup({ survey: 1 });
  const { sample } = await on.collector.collect();
  assertEquals(sample.survey, [{ mac: "C8:0E:14:AA:BB:CC", ssid: "Nachbar", channel: 44 }]);
});

Deno.test("collector: a missing file is logged once, its part omitted, then recovery logged", async () => {
  const { collector, fs, logs } = setup({ scan: 0 });
  fs.files.delete("/tmp/sysinfo/model");
  for (let i = 0; i < 3; i++) {
    const { sample } = await collector.collect();
    assertEquals((sample.device as Record<string, unknown>).machine_type, undefined);
  }
  assertEquals(logs.filter((l) => l.includes("source absent")).length, 1, logs.join("\n"));
  fs.files.set("/tmp/sysinfo/model", "X\n");
  await collector.collect();
  assertEquals(logs.filter((l) => l.includes("readable again")).length, 1);
});

Deno.test("collector: missing permission omits the part with one warning", async () => {
  const { collector, logs } = setup({ scan: 0 }, {
    allowed: (d) => !(d.name === "read" && d.path === "/tmp/dhcp.leases"),
  });
  await collector.collect();
  const { sample } = await collector.collect();
  assertEquals(sample.dhcp, []);
  const warnings = logs.filter((l) => l.includes("permission missing"));
  assertEquals(warnings.length, 1);
  assertMatch(warnings[0], /source=dhcp .*--allow-read=\/tmp\/dhcp.leases/);
});

Deno.test("collector: a slow source is cut off at its deadline, the sample sent without it", async () => {
  const never: Source = { name: "slow", needs: {}, read: () => new Promise(() => {}) };
  const { collector, clock, sink, counters } = setup({ scan: 0 }, {
    sources: [...defaultSources({ ...setup().config, scan: false }), never],
    deadlineMs: 2000,
  });
  const collecting = collector.collect();
  await clock.untilPending(1);
  clock.advance(2000);
  const { sample } = await collecting;
  assertEquals(sample.errors, { slow: "no answer within 2000 ms" });
  assertEquals((sample.device as Record<string, unknown>).uptime, 350859);
  assertEquals(sink.samples.length, 1);
  assertEquals(counters.get("collect-source-timeouts"), 1);
});

Deno.test("collector: a throwing source is counted; the rest of the sample is kept", async () => {
  const broken: Source = {
    name: "broken",
    needs: {},
    read: () => Promise.reject(new Error("boom")),
  };
  const { collector, counters, logs } = setup({ scan: 0 }, {
    sources: [...defaultSources({ ...setup().config, scan: false }), broken],
  });
  const { sample } = await collector.collect();
  await collector.collect();
  assertEquals(sample.errors, { broken: "boom" });
  assert((sample.dhcp as unknown[]).length === 4);
  assertEquals(counters.get("collect-source-errors"), 2);
  assertEquals(logs.filter((l) => l.includes("source failed")).length, 1);
});

Deno.test("collector: every monitor seconds plus jitter, never overlapping", async () => {
  const { collector, clock, sink } = setup({ scan: 0, monitor: 20 });
  const first = sink.next();
  await collector.start();
  await first;
  await clock.untilPending(1);
  assertEquals(clock.pending, [20_000 * 1.05]);
  const second = sink.next();
  clock.advance(21_000);
  const sample = await second;
  assert(sample.id > sink.samples[0].id, "ids are time-ordered");
  // A request while nothing runs starts one; two at once share it.
  const [a, b] = await Promise.all([collector.collect(), collector.collect()]);
  assertEquals(a.sample.id, b.sample.id);
  await collector.stop();
  assertEquals(clock.pending, []);
});

Deno.test("collector: control commands stats, collect, interfaces and stations", async () => {
  const { collector, commands } = setup();
  await collector.start();
  await collector.collect();
  const stats = await commands.execute({ command: "stats" });
  assertEquals(stats.status, "ok");
  const interfaces = await commands.execute({ command: "interfaces" });
  assertEquals((interfaces.interfaces as unknown[]).length, 3);
  const stations = await commands.execute({ command: "stations" });
  assertEquals((stations.stations as unknown[]).slice(0, 2), [
    {
      mac: "02:02:00:00:00:00",
      ip: "10.0.0.0",
      hostname: "host-0",
      expiry: 1732423600,
      signal: -40,
      interface: "wlan0",
    },
    {
      mac: "02:02:00:00:00:01",
      ip: "10.0.0.1",
      hostname: "host-1",
      expiry: 1732423601,
      signal: -41,
      interface: "wlan0",
    },
  ]);
  const described = commands.describe().filter((c) => c.capability === "collect");
  assertEquals(described.map((c) => c.command), ["collect", "interfaces", "stations", "stats"]);
  await collector.stop();
});

Deno.test("collector: stats before the first sample is a 404 warning; stop cuts a hung source", async () => {
  const never: Source = { name: "hung", needs: {}, read: () => new Promise(() => {}) };
  const { collector, commands, sink } = setup({ scan: 0 }, { sources: [never] });
  await collector.start();
  const reply = await commands.execute({ command: "stats" });
  assertEquals([reply.status, reply.code], ["warning", 404]);
  await collector.stop();
  assertEquals(sink.samples.length, 1);
});

Deno.test("collector: /proc refused and no cat: uptime, load and memory from --allow-sys", async () => {
  class RefusingFs extends FakeFs {
    override readTextFile(path: string): Promise<string> {
      return path.startsWith("/proc/")
        ? Promise.reject(new Deno.errors.NotCapable(`Requires all access to "${path}"`))
        : super.readTextFile(path);
    }
  }
  const { ctx, fs, logs } = setup({ scan: 0 });
  const collector = new CollectCapability(
    { ...ctx, io: { ...ctx.io, fs: new RefusingFs(fs.files) } },
    new AwaitableSink(),
    { system: fakeSystem(3), allowed: () => true },
  );
  const device = (await collector.collect()).sample.device as Record<string, unknown>;
  assertEquals(
    [device.uptime, device.load_1, device.load_15, device.total_ram, device.free_ram],
    [350859, 0.08, 0.01, 124184 * 1024, 71244 * 1024],
  );
  // Deno's loadavg() has no task count, and nothing but /proc knows the routes.
  assertEquals([device.procs, device.wan_name], [undefined, undefined]);
  assert(logs.some((l) => /permission missing source=route/.test(l)), logs.join("\n"));
});

Deno.test("collector: with --allow-sys, uptime, load and memory cost no program", async () => {
  const { collector, exec } = setup({ scan: 0 });
  const { sample } = await collector.collect();
  assertEquals(sample.device.uptime, 350859);
  const spawned = exec.calls.filter((c) => /\/proc\/(uptime|loadavg|meminfo)/.test(c));
  assertEquals(spawned, [], "read through Deno's sys API, not cat");
});
