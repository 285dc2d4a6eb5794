/** The thin readers: each feeds files or program output to its pure parser. */
import type { Config } from "../config/mod.ts";
import { type Parsed, parseProcNetRoute, toMac } from "../linux/mod.ts";
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
import { parseProcNetWireless } from "./proc_net_wireless.ts";
import { parseProcStat } from "./proc_stat.ts";
import { parseProcUptime } from "./proc_uptime.ts";
import type { Device, Ssid, Station, SurveyEntry, Wireless } from "./sample.ts";
import { parseSysNetInterface, SYS_NET_FILES, type SysNetFiles } from "./sys_class_net.ts";
import {
  type Link,
  type Part,
  type Source,
  type SourceContext,
  SourceUnavailable,
  type SystemInfo,
  take,
} from "./source.ts";

export const SYS_CLASS_NET = "/sys/class/net";
const OPENWRT_VERSION = "/etc/openwrt_version";
const OS_RELEASE = "/etc/os-release";
const MODEL = "/tmp/sysinfo/model";
const WIRELESS_PROGRAMS = ["ubus", "iw"];
export const DNSMASQ_LEASES_FALLBACK = "/var/lib/misc/dnsmasq.leases";
// Enough for a scan of a crowded band; beyond it the output is cut (and the tail parsed).
const PROGRAM_OUTPUT_MAX = 1 << 20;

/** What reads the files Deno refuses (see kernel_fs.ts). */
const KERNEL_PROGRAMS = ["cat", "grep"];

/**
 * A device part from one file and its parser (a /proc file: through a program under the
 * preset); when the file is refused and no program may read it, `fallback` asks Deno's
 * --allow-sys API for what it can tell.
 */
function deviceFile(
  name: string,
  path: string,
  parse: (text: string) => Parsed<Device>,
  fallback?: { kind: Deno.SysPermissionDescriptor["kind"]; read(system: SystemInfo): Device },
): Source {
  return {
    name,
    needs: { read: [path] },
    uses: { run: KERNEL_PROGRAMS, sys: fallback ? [fallback.kind] : [] },
    read: async (ctx) => {
      try {
        return { device: take(ctx, parse(await ctx.fs.readTextFile(path))) };
      } catch (error) {
        if (!fallback || !(error instanceof Deno.errors.NotCapable)) throw error;
        return { device: fallback.read(ctx.system) };
      }
    },
  };
}

/**
 * A device part the OS tells through Deno's --allow-sys API without a program, else read
 * from its /proc file: `uptime`, `loadavg` and `meminfo` cost no spawn under the preset.
 */
function systemFact(
  name: string,
  kind: Deno.SysPermissionDescriptor["kind"],
  fromSystem: (system: SystemInfo) => Device,
  path: string,
  parse: (text: string) => Parsed<Device>,
): Source {
  return {
    name,
    needs: {},
    uses: { sys: [kind], read: [path], run: KERNEL_PROGRAMS },
    read: async (ctx) => {
      if (ctx.granted({ name: "sys", kind })) return { device: fromSystem(ctx.system) };
      return { device: take(ctx, parse(await ctx.fs.readTextFile(path))) };
    },
  };
}

/** The text of the first file of `paths` that exists; unavailable, naming them, when none does. */
async function readFirst(ctx: SourceContext, paths: string[]): Promise<string> {
  for (const path of paths) {
    try {
      return await ctx.fs.readTextFile(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  throw new SourceUnavailable(`no file at ${paths.join(" nor ")}`);
}

/** A program's output when it ran and exited 0; undefined when it is absent or failed. */
async function output(ctx: SourceContext, argv: string[]): Promise<string | undefined> {
  const result = await ctx.exec.run({
    argv,
    alone: true,
    timeoutMs: ctx.deadlineMs,
    outputMax: PROGRAM_OUTPUT_MAX,
    signal: ctx.signal,
  });
  return result.exitCode === 0 ? result.output : undefined;
}

const ubus = (
  method: string,
  device?: string,
) => ["ubus", "call", "iwinfo", method, ...(device ? [JSON.stringify({ device })] : [])];

/**
 * Interfaces from /sys/class/net (ifindex, mac, up, mtu and counters), all their files read
 * at once. Deno refuses to list /sys/class/net without --allow-all, so the names then come
 * from /proc/net/dev; when the files cannot be read either, /proc/net/dev's counters stand
 * alone and the part says what is missing.
 */
async function interfacesOf(ctx: SourceContext): Promise<Part> {
  const procNetDev = await ctx.fs.readTextFile("/proc/net/dev").then(
    (text) => take(ctx, parseProcNetDev(text)),
    () => undefined,
  );
  const names = await ctx.fs.readDir(SYS_CLASS_NET).catch((error) => {
    if (!procNetDev) throw error;
    return procNetDev.map((i) => i.name);
  });
  const paths = names.flatMap((name) => SYS_NET_FILES.map((f) => `${SYS_CLASS_NET}/${name}/${f}`));
  const read = await ctx.fs.readMany(paths).catch((error: Error) => error);
  if (read instanceof Error || read.size === 0) {
    if (!procNetDev) throw read instanceof Error ? read : new SourceUnavailable("no interfaces");
    const why = read instanceof Error ? read.message : `nothing readable under ${SYS_CLASS_NET}`;
    return { interfaces: procNetDev, degraded: `ifindex, mac, up and mtu unknown: ${why}` };
  }
  const interfaces = names.sort().map((name) => {
    const files: SysNetFiles = {};
    for (const file of SYS_NET_FILES) files[file] = read.get(`${SYS_CLASS_NET}/${name}/${file}`);
    return take(ctx, parseSysNetInterface(name, files));
  });
  return { interfaces };
}

async function wirelessFromUbus(ctx: SourceContext): Promise<Wireless | undefined> {
  const listing = await output(ctx, ubus("devices"));
  if (listing === undefined) return undefined;
  const ssids: Ssid[] = [];
  const stations: Station[] = [];
  for (const device of take(ctx, parseIwinfoDevices(listing))) {
    const [info, assoc] = await Promise.all([
      output(ctx, ubus("info", device)),
      output(ctx, ubus("assoclist", device)),
    ]);
    const ssid = info === undefined ? undefined : take(ctx, parseIwinfoInfo(device, info));
    if (ssid) ssids.push(ssid);
    for (
      const station of assoc === undefined ? [] : take(ctx, parseIwinfoAssoclist(device, assoc))
    ) {
      stations.push(ssid?.ssid ? { ...station, ssid: ssid.ssid } : station);
    }
  }
  return { ssids, stations };
}

async function wirelessFromIw(ctx: SourceContext): Promise<Wireless | undefined> {
  const listing = await output(ctx, ["iw", "dev"]);
  if (listing === undefined) return undefined;
  const ssids: Ssid[] = [];
  const stations: Station[] = [];
  for (const { type: _type, ifindex: _ifindex, ...ssid } of take(ctx, parseIwDev(listing))) {
    ssids.push(ssid);
    const dump = await output(ctx, ["iw", "dev", ssid.interface, "station", "dump"]);
    for (const station of dump === undefined ? [] : take(ctx, parseIwStationDump(dump))) {
      stations.push(ssid.ssid ? { ...station, ssid: ssid.ssid } : station);
    }
  }
  return { ssids, stations };
}

async function wirelessFromProc(ctx: SourceContext): Promise<Wireless> {
  const text = await ctx.fs.readTextFile("/proc/net/wireless").catch((error) => {
    if (error instanceof Deno.errors.NotFound) {
      throw new SourceUnavailable("no ubus iwinfo, no iw and no /proc/net/wireless");
    }
    throw error;
  });
  return { ssids: take(ctx, parseProcNetWireless(text)), stations: [] };
}

async function surveyOf(ctx: SourceContext): Promise<SurveyEntry[]> {
  const listing = await output(ctx, ubus("devices"));
  if (listing !== undefined) {
    const devices = take(ctx, parseIwinfoDevices(listing));
    const scans = await Promise.all(devices.map((d) => output(ctx, ubus("scan", d))));
    return scans.flatMap((scan) => (scan === undefined ? [] : take(ctx, parseIwinfoScan(scan))));
  }
  const iwListing = await output(ctx, ["iw", "dev"]);
  if (iwListing === undefined) throw new SourceUnavailable("no ubus iwinfo and no iw");
  const names = take(ctx, parseIwDev(iwListing)).map((i) => i.interface);
  const dumps = await Promise.all(names.map((n) => output(ctx, ["iw", "dev", n, "scan", "dump"])));
  return dumps.flatMap((dump) => (dump === undefined ? [] : take(ctx, parseIwScanDump(dump))));
}

/** Every source this config asks for, in the order their parts are merged. */
export function defaultSources(config: Config): Source[] {
  const leaseFiles = [config.dhcp_leases, DNSMASQ_LEASES_FALLBACK];
  const sources: Source[] = [
    systemFact(
      "uptime",
      "osUptime",
      (system) => ({
        uptime: Math.floor(system.osUptime()),
      }),
      "/proc/uptime",
      parseProcUptime,
    ),
    // /proc/loadavg first: it alone has the process count.
    deviceFile("loadavg", "/proc/loadavg", parseProcLoadavg, {
      kind: "loadavg",
      read: (system) => {
        const [load_1, load_5, load_15] = system.loadavg();
        return { load_1, load_5, load_15 };
      },
    }),
    systemFact(
      "meminfo",
      "systemMemoryInfo",
      (system) => {
        const memory = system.systemMemoryInfo();
        return { total_ram: memory.total, free_ram: memory.free };
      },
      "/proc/meminfo",
      parseProcMeminfo,
    ),
    deviceFile("stat", "/proc/stat", parseProcStat),
    deviceFile("route", "/proc/net/route", parseProcNetRoute),
    {
      name: "firmware",
      needs: { read: [OPENWRT_VERSION, OS_RELEASE] },
      read: async (ctx) => {
        try {
          const version = take(ctx, parseLabelFile(await ctx.fs.readTextFile(OPENWRT_VERSION)));
          if (version) return { device: { firmware: version } };
        } catch (error) {
          if (!(error instanceof Deno.errors.NotFound)) throw error;
        }
        return { device: take(ctx, parseOsRelease(await ctx.fs.readTextFile(OS_RELEASE))) };
      },
    },
    {
      name: "model",
      needs: { read: [MODEL] },
      read: async (ctx) => {
        const model = take(ctx, parseLabelFile(await ctx.fs.readTextFile(MODEL)));
        return model ? { device: { machine_type: model } } : {};
      },
    },
    {
      name: "interfaces",
      needs: { read: ["/proc/net/dev"] },
      // /sys whole: Deno checks the resolved path (/sys/class/net/eth0 -> /sys/devices/...),
      // should it ever grant it directly; until then grep reads the files.
      uses: { read: ["/sys"], run: KERNEL_PROGRAMS },
      read: interfacesOf,
    },
    {
      name: "addresses",
      needs: { sys: ["networkInterfaces"] },
      read: (ctx) => {
        const links = new Map<string, Link>();
        for (const info of ctx.system.networkInterfaces()) {
          const link = links.get(info.name) ?? { addresses: [] };
          if (info.cidr && !link.addresses.includes(info.cidr)) link.addresses.push(info.cidr);
          link.mac ??= toMac(info.mac);
          links.set(info.name, link);
        }
        return Promise.resolve({ links });
      },
    },
    {
      name: "dhcp",
      needs: { read: [config.dhcp_leases] },
      uses: { read: [DNSMASQ_LEASES_FALLBACK] },
      read: async (ctx) => ({
        dhcp: take(ctx, parseDnsmasqLeases(await readFirst(ctx, leaseFiles))),
      }),
    },
  ];
  if (config.scan) {
    sources.push({
      name: "wireless",
      needs: {},
      uses: { run: WIRELESS_PROGRAMS, read: ["/proc/net/wireless"] },
      read: async (ctx) => ({
        wireless: await wirelessFromUbus(ctx) ?? await wirelessFromIw(ctx) ??
          await wirelessFromProc(ctx),
      }),
    });
  }
  if (config.survey) {
    sources.push({
      name: "survey",
      needs: {},
      uses: { run: WIRELESS_PROGRAMS },
      read: async (ctx) => ({ survey: await surveyOf(ctx) }),
    });
  }
  return sources;
}
