/**
 * Random bytes and mutated fixtures into every parser: none may throw, every count of
 * skipped lines is a non-negative integer, and no value is `undefined` (unknowns are omitted).
 * Seeded, so a failure replays.
 */
import { testConfig, testContext } from "../../tests/support/context.ts";
import { assert } from "../../tests/support/assert.ts";
import { fixture } from "../../tests/support/fixtures.ts";
import type { Parsed } from "../linux/mod.ts";
import { parseDnsmasqLeases } from "./dnsmasq_leases.ts";
import { parseIwDev } from "./iw_dev.ts";
import { parseIwScanDump } from "./iw_scan_dump.ts";
import { parseIwStationDump } from "./iw_station_dump.ts";
import {
  parseIwinfoAssoclist,
  parseIwinfoDevices,
  parseIwinfoInfo,
  parseIwinfoScan,
} from "./iwinfo_ubus.ts";
import { parseLabelFile, parseOsRelease } from "./os_release.ts";
import { parseProcLoadavg } from "./proc_loadavg.ts";
import { parseProcMeminfo } from "./proc_meminfo.ts";
import { parseProcNetDev } from "./proc_net_dev.ts";
import { parseProcNetRoute } from "../linux/mod.ts";
import { parseProcNetWireless } from "./proc_net_wireless.ts";
import { parseProcStat } from "./proc_stat.ts";
import { parseProcUptime } from "./proc_uptime.ts";
import { parseSysNetInterface } from "./sys_class_net.ts";
import { ManualClock } from "../../tests/support/clock.ts";
import { fakeRouter, fakeSystem } from "../../tests/support/fake_router.ts";
import { CollectCapability } from "./capability.ts";
import { LastSampleSink } from "./last_sample_sink.ts";
import { seededRandom } from "../../tests/support/random.ts";

const ROUNDS = 400;

const ALPHABET = ' \t\n\r:*./-_0123456789abcdefxyzABCDEFXYZ"{}[],\u0000\u00ff\u2028';

/** One mutation of `text`: random text, flips, cuts, duplicated or dropped lines. */
function mutate(text: string, random: () => number): string {
  const pick = (n: number) => Math.floor(random() * n);
  const char = () => ALPHABET[pick(ALPHABET.length)];
  switch (pick(6)) {
    case 0:
      return Array.from({ length: pick(300) }, char).join("");
    case 1: {
      const chars = [...text];
      for (let i = 0; i < 1 + pick(8); i++) chars[pick(chars.length + 1)] = char();
      return chars.join("");
    }
    case 2:
      return text.slice(0, pick(text.length + 1));
    case 3: {
      const lines = text.split("\n");
      return lines.flatMap((l) => (random() < 0.2 ? [l, l] : random() < 0.1 ? [] : [l])).join("\n");
    }
    case 4: {
      const lines = text.split("\n");
      return lines.map((l) =>
        l.split(/(\s+)/).map((w) => (random() < 0.15 ? char().repeat(pick(30)) : w)).join("")
      ).join("\n");
    }
    default:
      return text.repeat(1 + pick(3)).replaceAll(
        /\d/g,
        () => (random() < 0.05 ? "9".repeat(25) : char()),
      );
  }
}

function wellFormed(label: string, input: string, result: Parsed<unknown>): void {
  const context = `${label} on ${JSON.stringify(input.slice(0, 200))}`;
  assert(Number.isInteger(result.skipped) && result.skipped >= 0, `skipped: ${context}`);
  const walk = (value: unknown): void => {
    assert(value !== undefined || result.value === undefined, `undefined inside: ${context}`);
    if (typeof value === "number") assert(Number.isFinite(value), `non-finite: ${context}`);
    if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === "object") Object.values(value).forEach(walk);
  };
  if (result.value !== undefined) walk(result.value);
}

const PARSERS: [string, string[], (text: string) => Parsed<unknown>][] = [
  ["uptime", ["proc/uptime/openwrt.txt"], parseProcUptime],
  ["loadavg", ["proc/loadavg/openwrt.txt"], parseProcLoadavg],
  ["meminfo", ["proc/meminfo/openwrt.txt", "proc/meminfo/debian.txt"], parseProcMeminfo],
  ["stat", ["proc/stat/openwrt.txt"], parseProcStat],
  ["route", ["proc/net_route/metrics.txt"], parseProcNetRoute],
  ["net/dev", ["proc/net_dev/openwrt.txt"], parseProcNetDev],
  ["net/wireless", ["proc/net_wireless/openwrt.txt"], parseProcNetWireless],
  ["leases", ["dnsmasq/openwrt.leases"], parseDnsmasqLeases],
  ["iwinfo devices", ["iwinfo/devices.json"], parseIwinfoDevices],
  ["iwinfo info", ["iwinfo/info_wlan0.json"], (t) => parseIwinfoInfo("wlan0", t)],
  ["iwinfo assoclist", ["iwinfo/assoclist_wlan0.json"], (t) => parseIwinfoAssoclist("wlan0", t)],
  ["iwinfo scan", ["iwinfo/scan_wlan0.json"], parseIwinfoScan],
  ["iw dev", ["iw/dev.txt"], parseIwDev],
  ["iw station dump", ["iw/station_dump.txt"], parseIwStationDump],
  ["iw scan dump", ["iw/scan_dump.txt"], parseIwScanDump],
  ["os-release", ["etc/os-release.openwrt", "etc/openwrt_release"], parseOsRelease],
  ["label", ["etc/sysinfo_model"], parseLabelFile],
  [
    "sys/class/net",
    ["proc/uptime/openwrt.txt"],
    (t) =>
      parseSysNetInterface("eth0", { ifindex: t, address: t, flags: t, "statistics/rx_bytes": t }),
  ],
];

for (const [label, seeds, parse] of PARSERS) {
  Deno.test(`fuzz: ${label} never throws on ${ROUNDS} mutated inputs`, () => {
    const random = seededRandom(label.length * 7919);
    const texts = seeds.map(fixture);
    for (let i = 0; i < ROUNDS; i++) {
      const input = mutate(texts[i % texts.length], random);
      wellFormed(label, input, parse(input));
    }
  });
}

Deno.test("fuzz: the collector survives mutated files and program output, every time", async () => {
  const random = seededRandom(42);
  const clock = new ManualClock();
  const { fs, exec } = fakeRouter({ interfaces: 3, leases: 20, stations: 5 });
  const pristine = { files: new Map(fs.files), outputs: new Map(exec.outputs) };
  const ctx = testContext(testConfig({ survey: 1 }), { clock, fs, exec }, { level: "error" });
  const { counters } = ctx;
  const collector = new CollectCapability(
    ctx,
    new LastSampleSink(),
    {
      system: fakeSystem(3),
      allowed: () => true,
    },
  );
  for (let i = 0; i < 200; i++) {
    for (const [path, text] of pristine.files) fs.files.set(path, mutate(text, random));
    for (const [argv, text] of pristine.outputs) exec.outputs.set(argv, mutate(text, random));
    const { sample } = await collector.collect();
    JSON.stringify(sample);
  }
  assert(counters.get("stats-collected") === 200);
  assert(counters.get("collect-source-errors") === 0, "a parser threw inside a source");
  assert(counters.get("collect-lines-skipped") > 0);
});
