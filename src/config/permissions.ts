/**
 * The Deno permissions each capability needs, derived from the config: printed by
 * `check-config --print-permissions` (the hardened preset) and checked at start, where a
 * capability whose permission is missing is disabled with one log line.
 */
import type { Config } from "./schema.ts";

export type CapabilityName =
  | "config"
  | "log"
  | "control"
  | "mqtt"
  | "replies"
  | "jobs"
  | "collect"
  | "spool"
  | "uplink"
  | "health";

export interface Needs {
  read: string[];
  write: string[];
  net: string[];
  run: string[];
  sys: string[];
  env: string[];
}

export interface CapabilityNeeds {
  /** Everything the capability can use: what the preset grants. */
  flags: Needs;
  /** The part without which it cannot run at all (defaults to `flags`). */
  gate?: Partial<Needs>;
}

export interface RunContext {
  configPath: string;
  controlSocket: string | null;
  /** `-b URL`: the config is fetched from there and the config file may be written. */
  initUrl?: string;
}

type Loose = { [K in keyof Needs]?: (string | undefined)[] };

function needs(partial: Loose): Needs {
  const clean = (list: (string | undefined)[] = []) => list.filter((x): x is string => !!x);
  return {
    read: clean(partial.read),
    write: clean(partial.write),
    net: clean(partial.net),
    run: clean(partial.run),
    sys: clean(partial.sys),
    env: clean(partial.env),
  };
}

/** `host:port` of a URL, with the scheme's default port made explicit. */
export function urlHostPort(url: string): string {
  const u = new URL(url);
  const port = u.port || (u.protocol === "https:" ? "443" : "80");
  return `${u.hostname}:${port}`;
}

/** The host and port probed for connectivity: `health_url`, else the broker. */
export function healthTarget(config: Config): { host: string; port: number } | undefined {
  if (config.health_url) {
    const host = config.health_url.includes("://")
      ? new URL(config.health_url).hostname
      : config.health_url.split("/")[0];
    return { host, port: config.health_port };
  }
  return config.mqtt_host ? { host: config.mqtt_host, port: config.port } : undefined;
}

/** The program a command line starts (`reboot`, `/etc/init.d/network`). */
export function programOf(command: string): string {
  return command.trim().split(/\s+/)[0];
}

export function apiUrls(config: Config): string[] {
  return [
    config.stats_url,
    config.backup_stats_url,
    config.api_url,
    config.backup_url,
    config.boot_url,
  ]
    .filter((u): u is string => !!u);
}

export function mqttEnabled(config: Config): boolean {
  return !config.disable_mqtt && !!config.mqtt_host;
}

export function capabilityNeeds(
  config: Config,
  run: RunContext,
): Record<CapabilityName, CapabilityNeeds> {
  const sock = run.controlSocket;
  const health = healthTarget(config);
  return {
    config: {
      flags: needs({
        read: [run.configPath, config.mac ? undefined : config.mac_file],
        write: run.initUrl ? [run.configPath] : [],
        net: run.initUrl ? [urlHostPort(run.initUrl)] : [],
      }),
    },
    log: { flags: needs({ env: ["DEBUG", "LEDGE_*"] }) },
    control: {
      // /etc/group names the gid of control_socket_group.
      flags: needs(
        sock
          ? {
            read: [sock, config.control_socket_group ? "/etc/group" : undefined],
            write: [sock],
            net: [`unix:${sock}`],
          }
          : {},
      ),
    },
    mqtt: {
      flags: needs(
        mqttEnabled(config)
          ? {
            net: [`${config.mqtt_host}:${config.port}`],
            read: [config.cacrt, config.client_cert, config.client_key],
          }
          : {},
      ),
    },
    replies: {
      flags: needs({
        read: [config.state_dir],
        write: [config.state_dir],
        net: config.rest ? [config.api_url, config.backup_url].map((u) => u && urlHostPort(u)) : [],
      }),
      // Without the API's net permission, REST replies wait in the outbox.
      gate: { read: [config.state_dir], write: [config.state_dir] },
    },
    jobs: {
      // /bin/sh also in allow-list mode: recovery_cmd is a shell command, and the shell's
      // `kill` signals a job's process group without an unrestricted --allow-run.
      flags: needs({
        run: [...new Set([...(config.jobs.allow ?? []), "/bin/sh"])],
        read: [config.state_dir],
        write: [config.state_dir],
      }),
      gate: {
        run: config.jobs.allow ?? ["/bin/sh"],
        read: [config.state_dir],
        write: [config.state_dir],
      },
    },
    collect: {
      // Deno 2.9 refuses /proc and /sys to anything short of --allow-all, so the collector
      // reads them through `cat`; /sys is named whole because Deno checks the resolved
      // path (/sys/class/net/eth0 -> /sys/devices/...), should it ever grant it directly.
      flags: needs({
        read: [
          "/proc",
          "/sys",
          config.dhcp_leases,
          "/var/lib/misc/dnsmasq.leases",
          "/etc/openwrt_version",
          "/etc/os-release",
          "/tmp/sysinfo",
        ],
        // osUptime, loadavg, systemMemoryInfo: the device stats when /proc is refused.
        sys: ["networkInterfaces", "osUptime", "loadavg", "systemMemoryInfo"],
        run: ["cat", ...(config.scan || config.survey ? ["ubus", "iw"] : [])],
      }),
      gate: { read: ["/proc"] },
    },
    spool: {
      flags: needs(
        config["no-cache"] ? {} : { read: [config.cache_dir], write: [config.cache_dir] },
      ),
    },
    uplink: { flags: needs({ net: apiUrls(config).map(urlHostPort) }) },
    health: {
      flags: needs({
        read: ["/proc/net/route"],
        net: [
          health ? `${health.host}:${health.port}` : undefined,
          config.boot_url ? urlHostPort(config.boot_url) : undefined,
        ],
        run: [
          programOf(config.recovery_cmd),
          programOf(config.reboot_cmd),
          config.boot_cmd ? "/bin/sh" : undefined,
        ],
      }),
      gate: { net: health ? [`${health.host}:${health.port}`] : [] },
    },
  };
}

/** The union of every capability's flags, each list without repeats. */
export function presetNeeds(all: Record<CapabilityName, CapabilityNeeds>): Needs {
  const merged = needs({});
  for (const { flags } of Object.values(all)) {
    for (const kind of Object.keys(merged) as (keyof Needs)[]) {
      for (const item of flags[kind]) if (!merged[kind].includes(item)) merged[kind].push(item);
    }
  }
  return merged;
}

/**
 * V8 tuning that belongs to the preset: a 1 MB young generation (V8 grows it to 16 MB per
 * semi-space for an allocating process) costs the agent ~6.5 MB less RSS for ~25 % more CPU
 * per collection, a few ms every `monitor` seconds. Measured in bench/footprint.ts.
 */
export const PRESET_V8_FLAGS = "--v8-flags=--max-semi-space-size=1";

/** `deno run` flags for a set of needs, in a stable order. */
export function permissionFlags(all: Needs, config?: Config): string[] {
  const flags = (Object.keys(all) as (keyof Needs)[])
    .filter((kind) => all[kind].length > 0)
    .map((kind) => `--allow-${kind}=${all[kind].join(",")}`);
  if (config?.insecure) {
    const hosts = [...new Set(apiUrls(config).map((u) => new URL(u).hostname))];
    if (hosts.length > 0) flags.push(`--unsafely-ignore-certificate-errors=${hosts.join(",")}`);
  }
  return flags;
}

/** The flags of `gate` (or all of `flags`) that this process has not been granted. */
export function missingPermissions(capability: CapabilityNeeds): string[] {
  const check = capability.gate ? needs(capability.gate) : capability.flags;
  const missing: string[] = [];
  const ask = (kind: keyof Needs, item: string, descriptor: Deno.PermissionDescriptor) => {
    if (Deno.permissions.querySync(descriptor).state !== "granted") {
      missing.push(`--allow-${kind}=${item}`);
    }
  };
  for (const path of check.read) ask("read", path, { name: "read", path });
  for (const path of check.write) ask("write", path, { name: "write", path });
  for (const host of check.net) ask("net", host, { name: "net", host });
  for (const command of check.run) ask("run", command, { name: "run", command });
  for (const kind of check.sys) {
    ask("sys", kind, { name: "sys", kind: kind as Deno.SysPermissionDescriptor["kind"] });
  }
  for (const variable of check.env.filter((v) => !v.includes("*"))) {
    ask("env", variable, { name: "env", variable });
  }
  return missing;
}
