/**
 * Every config key (docs/config.md): its schema and, for error messages, what is
 * allowed in the operator's words. SocketMan keys keep their names, hyphens included.
 */
import * as z from "zod/mini";
import { parseArgv } from "../io/argv.ts";

interface Field {
  schema: z.ZodMiniType;
  allowed: string;
}

/** SocketMan wrote booleans as 0/1; both forms are accepted and stored as booleans. */
const flag = z.pipe(
  z.union([z.boolean(), z.literal(0), z.literal(1)]),
  z.transform((v) => v === true || v === 1),
);
const FLAG = "true/false or 0/1";

function int(min: number, max = Number.MAX_SAFE_INTEGER): z.ZodMiniType<number> {
  return z.int().check(z.gte(min), z.lte(max));
}
function intAllowed(min: number, max?: number, unit = ""): string {
  const range = max === undefined ? `≥ ${min}` : `${min}–${max}`;
  return `an integer ${range}${unit}`;
}

/**
 * What a value that ends up in a permission flag (`--allow-read=a,b`, `--allow-net=h:p`) may
 * not hold: a comma adds an item to the flag's list, whitespace or a control character
 * another word to the launcher's command line, `=` another flag's look.
 */
// deno-lint-ignore no-control-regex
const UNSAFE_IN_FLAG = /[\s,=\u0000-\u001f\u007f-\u009f]/;
// deno-lint-ignore no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** A file the agent reads or writes, named in its permissions. */
const path = z.string().check(z.refine((s) => s.startsWith("/") && !UNSAFE_IN_FLAG.test(s)));
const PATH = "an absolute path without spaces, commas, '=' or control characters";

/** A program: an absolute path, or a name looked up on PATH; named in --allow-run. */
const programWord = (s: string) =>
  (s.startsWith("/") || /^[A-Za-z0-9._+-]+$/.test(s)) &&
  !UNSAFE_IN_FLAG.test(s);
const program = z.string().check(z.refine(programWord));
const PROGRAM = "a program: an absolute path (no spaces, commas, '=' or control characters) " +
  "or a name on PATH";

/** A program and its arguments, split without a shell; the program as `program`. */
const command = z.string().check(z.refine((s) => {
  if (CONTROL.test(s)) return false;
  const parsed = parseArgv(s);
  return "argv" in parsed && programWord(parsed.argv[0]);
}));
const COMMAND = `a program and its arguments (${PROGRAM}), without control characters`;

/** A host name, an IPv4 address, or an IPv6 address (bare or in brackets). */
export function isHost(s: string): boolean {
  if (/^\[?[0-9A-Fa-f:.]+\]?$/.test(s) && s.includes(":")) {
    return /^\[[^\]]+\]$|^[^\[\]]+$/.test(s);
  }
  return /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/
    .test(s) && s.length <= 253;
}
const host = z.string().check(z.refine(isHost));

/**
 * An image host as the download compares it with a URL's (`new URL(url).host`): lowercase,
 * an international name in punycode, IPv6 in brackets, with its port when one is given.
 * Undefined for anything else (a URL, a path, a list).
 *
 * @example
 * normalizeHost("Fw.Example.NET"); // "fw.example.net"
 * normalizeHost("::1"); // "[::1]"
 */
export function normalizeHost(entry: string): string | undefined {
  const bareV6 = !entry.startsWith("[") && (entry.match(/:/g)?.length ?? 0) > 1;
  const text = bareV6 ? `[${entry}]` : entry;
  if (/[\/?#@\s,=]/.test(text)) return undefined;
  try {
    const url = new URL(`http://${text}`);
    return isHost(url.hostname) ? url.host : undefined;
  } catch {
    return undefined;
  }
}
const imageHost = z.pipe(
  z.string().check(z.refine((s) => normalizeHost(s) !== undefined)),
  z.transform((s) => normalizeHost(s)!),
);
const HOST = "a host name, an IPv4 address or an IPv6 address";

/** An http(s) URL whose host is a plain host (the WHATWG parser lets `a,b` through). */
function httpUrlOk(s: string): boolean {
  try {
    const url = new URL(s);
    return ["http:", "https:"].includes(url.protocol) && isHost(url.hostname);
  } catch {
    return false;
  }
}
const httpUrl = z.string().check(z.refine(httpUrlOk));
const URL_ALLOWED = "an http:// or https:// URL";
const text = z.string().check(z.minLength(1));
const TEXT = "a non-empty string";

function f(schema: z.ZodMiniType, allowed: string): Field {
  return { schema, allowed };
}

const DESIRED_DEFAULTS = {
  confirm_s: 90,
  uci_packages: ["wireless", "network", "system", "dhcp"],
  uci: "/sbin/uci",
  reload: "/sbin/reload_config",
};

const UPGRADE_DEFAULTS = {
  program: "/sbin/sysupgrade",
  dir: "/tmp",
  release_file: "/etc/openwrt_release",
};

export const FIELDS = {
  // SocketMan keys
  username: f(z.string(), "a string"),
  password: f(z.string(), "a string"),
  topic: f(text, TEXT),
  key: f(text, TEXT),
  mac: f(text, TEXT),
  mac_file: f(path, PATH),
  mqtt_host: f(host, HOST),
  port: f(int(1, 65535), intAllowed(1, 65535)),
  tls: f(flag, FLAG),
  cacrt: f(path, `a PEM file: ${PATH}`),
  qos: f(z.union([z.literal(0), z.literal(1), z.literal(2)]), "0, 1 or 2"),
  api_url: f(httpUrl, URL_ALLOWED),
  stats_url: f(httpUrl, URL_ALLOWED),
  backup_url: f(httpUrl, URL_ALLOWED),
  backup_stats_url: f(httpUrl, URL_ALLOWED),
  token: f(z.string(), "a string"),
  monitor: f(int(1), intAllowed(1, undefined, " (seconds; below 15 is raised to 15)")),
  heartbeat: f(int(1), intAllowed(1, undefined, " (seconds)")),
  sleep: f(int(1), intAllowed(1, undefined, " (seconds)")),
  debug: f(flag, FLAG),
  scan: f(flag, FLAG),
  survey: f(flag, FLAG),
  "no-cache": f(flag, FLAG),
  "no-ping": f(flag, FLAG),
  "ping-interval": f(int(1), intAllowed(1, undefined, " (seconds; below 30 is raised to 30)")),
  rest: f(flag, FLAG),
  reboot: f(int(0), intAllowed(0, undefined, " (seconds; 0 disables, 1–299 become 300)")),
  health_port: f(int(1, 65535), intAllowed(1, 65535)),
  health_url: f(
    z.string().check(z.refine((s) => isHost(s) || httpUrlOk(s) || isHost(s.split("/")[0]))),
    `${HOST}, or an http:// or https:// URL`,
  ),
  disable_mqtt: f(flag, FLAG),
  insecure: f(flag, FLAG),
  boot_url: f(httpUrl, URL_ALLOWED),
  boot_cmd: f(text, "a shell command"),
  // ledge keys
  control_socket: f(path, PATH),
  app: f(text, TEXT),
  keepalive: f(int(0, 65535), intAllowed(0, 65535, " (seconds)")),
  upload_format: f(z.enum(["multipart", "gzip"]), '"multipart" or "gzip"'),
  control_socket_group: f(text, "a group name"),
  client_cert: f(path, `a PEM file: ${PATH}`),
  client_key: f(path, `a PEM file: ${PATH}`),
  reconnect_max: f(int(1, 86400), intAllowed(1, 86400, " (seconds)")),
  cache_dir: f(path, PATH),
  cache_max: f(int(65536), intAllowed(65536, undefined, " (bytes)")),
  state_dir: f(path, PATH),
  dhcp_leases: f(path, PATH),
  job_timeout: f(int(1, 86400), intAllowed(1, 86400, " (seconds)")),
  job_concurrency: f(int(1, 16), intAllowed(1, 16)),
  job_queue: f(int(1, 10000), intAllowed(1, 10000)),
  job_output_max: f(int(1024, 16 * 1024 * 1024), intAllowed(1024, 16 * 1024 * 1024, " (bytes)")),
  job_secret: f(z.string().check(z.minLength(16)), "a string of at least 16 characters"),
  job_max_age: f(int(1), intAllowed(1, undefined, " (seconds)")),
  job_sig_legacy: f(flag, FLAG),
  jobs: f(
    z.object({ allow: z.optional(z.array(program)) }),
    `an object { "allow": [programs, each ${PROGRAM}] }`,
  ),
  network_check_s: f(int(1, 3600), intAllowed(1, 3600, " (seconds)")),
  recovery_cmd: f(command, COMMAND),
  reboot_cmd: f(command, COMMAND),
  desired: f(
    z.object({
      confirm_s: z._default(int(10, 3600), DESIRED_DEFAULTS.confirm_s),
      settle_s: z.optional(int(1, 300)),
      uci_packages: z._default(z.array(text), DESIRED_DEFAULTS.uci_packages),
      allow_keys: z._default(z.array(text), []),
      uci: z._default(program, DESIRED_DEFAULTS.uci),
      reload: z._default(program, DESIRED_DEFAULTS.reload),
    }),
    'an object { "confirm_s": 10–3600, "settle_s": 1–300 (at most confirm_s / 2), ' +
      '"uci_packages": [names], ' +
      '"allow_keys": [config keys], ' +
      `"uci", "reload": programs } (${PROGRAM})`,
  ),
  upgrade: f(
    z.object({
      hosts: z._default(z.array(imageHost), []),
      program: z._default(program, UPGRADE_DEFAULTS.program),
      dir: z._default(path, UPGRADE_DEFAULTS.dir),
      release_file: z._default(path, UPGRADE_DEFAULTS.release_file),
    }),
    `an object { "hosts": [image hosts: host, host:port, IPv6, [IPv6]:port], "program": a ` +
      `program, "dir", "release_file" } ` +
      `(${PROGRAM}; paths: ${PATH})`,
  ),
} satisfies Record<ConfigKey, Field>;

/** A config key, as it is written in the file. */
export type ConfigKey = keyof Config;
/** Every config key, in the order of the reference. */
export const CONFIG_KEYS = Object.keys(FIELDS) as ConfigKey[];

/**
 * Keys that decide which programs run: nothing from the network (provisioning, a desired
 * state) may set or change them; only the config file on the box does.
 */
export const PROGRAM_KEYS = [
  "boot_cmd",
  "recovery_cmd",
  "reboot_cmd",
  "jobs",
  "upgrade",
  "desired",
] as const;

/** Keys that name a file or directory of the box. */
export const PATH_KEYS = [
  "mac_file",
  "cacrt",
  "client_cert",
  "client_key",
  "control_socket",
  "cache_dir",
  "state_dir",
  "dhcp_leases",
] as const;

/**
 * Keys that protect the box: what runs, who may run jobs and talk to the control socket,
 * whether certificates are checked, where its files are. An init server never sets them:
 * they keep the values of the config on the box.
 */
export const PROTECTED_KEYS = [
  ...PROGRAM_KEYS,
  ...PATH_KEYS,
  "job_secret",
  "job_sig_legacy",
  "job_max_age",
  "control_socket_group",
  "insecure",
] as const;

/** Keys that make the MQTT session: the broker, its credentials, the device's topics. */
export const SESSION_KEYS = [
  "mqtt_host",
  "port",
  "tls",
  "cacrt",
  "client_cert",
  "client_key",
  "username",
  "password",
  "topic",
  "key",
  "mac",
] as const;

/**
 * Keys that move the broker, the agent's identity or its files: a desired state may set
 * them only when the config file on the box lists them in `desired.allow_keys`.
 */
export const MOVING_KEYS = [
  ...SESSION_KEYS,
  "mac_file",
  "disable_mqtt",
  "insecure",
  "state_dir",
  "cache_dir",
  "control_socket",
  "control_socket_group",
  "job_secret",
] as const;

/** Keys whose values are shown as `***` and never logged. */
export const SECRET_KEYS = ["password", "key", "token", "job_secret"] as const;

export const MIN_MONITOR_S = 15;
export const MIN_PING_INTERVAL_S = 30;
export const MIN_REBOOT_S = 300;
export const MAX_UPLOAD_INTERVAL_S = 300;

/** The effective config: every key with a default is filled in. */
export interface Config {
  /** MQTT user name. */
  username?: string;
  /** MQTT password (secret). */
  password?: string;
  /** The first part of the topics' middle: `<topic>/<key>/<mac>`. */
  topic?: string;
  /** The second part of the topics' middle (secret in output). */
  key?: string;
  /** The device's MAC, exactly as in the topics; else read from `mac_file`. */
  mac?: string;
  /** A file whose first line is the MAC. */
  mac_file: string;
  /** The broker; without it there is no MQTT session. */
  mqtt_host?: string;
  /** The broker's port (8883 with `tls`, else 1883). */
  port: number;
  /** TLS to the broker, always verified. */
  tls: boolean;
  /** The CA (PEM) the broker is checked against; else the system store. */
  cacrt?: string;
  /** The job subscription's QoS; above 0 the session is persistent. */
  qos: 0 | 1 | 2;
  /** REST replies and pings (with `rest`). */
  api_url?: string;
  /** Where samples are uploaded. */
  stats_url?: string;
  /** Tried once when `api_url` fails. */
  backup_url?: string;
  /** Tried once when `stats_url` fails. */
  backup_stats_url?: string;
  /** Sent as `?access_token=` to the API (secret). */
  token?: string;
  /** Seconds between collections, and between health rounds while online. */
  monitor: number;
  /** The effective upload interval in seconds (from `heartbeat`, else `sleep`). */
  heartbeat: number;
  /** SocketMan's other name for the upload interval (used when `heartbeat` is absent). */
  sleep?: number;
  /** Debug logging. */
  debug: boolean;
  /** Wireless collection. */
  scan: boolean;
  /** The neighbour scan. */
  survey: boolean;
  /** POST each sample at once, no cache on disk. */
  "no-cache": boolean;
  /** No pings. */
  "no-ping": boolean;
  /** Seconds between pings on `status/...`. */
  "ping-interval": number;
  /** Job results POSTed to `api_url` instead of MQTT. */
  rest: boolean;
  /** Seconds offline before `reboot_cmd`; 0 never reboots. */
  reboot: number;
  /** The TCP port probed for connectivity. */
  health_port: number;
  /** The host probed for connectivity; else the broker. */
  health_url?: string;
  /** No MQTT session. */
  disable_mqtt: boolean;
  /** API requests without certificate checks (never the broker). */
  insecure: boolean;
  /** GET once when the agent is first online; the answer is logged, never run. */
  boot_url?: string;
  /** A shell command run once at start. */
  boot_cmd?: string;
  /** The control socket's path. */
  control_socket: string;
  /** The `app` field of every message. */
  app: string;
  /** MQTT keepalive, seconds. */
  keepalive: number;
  /** The upload body: SocketMan's multipart file field, or a gzip body. */
  upload_format: "multipart" | "gzip";
  /** The socket is 0660 for this group (else 0600). */
  control_socket_group?: string;
  /** The client certificate (PEM) for mTLS to the broker. */
  client_cert?: string;
  /** Its private key (PEM). */
  client_key?: string;
  /** The ceiling of the reconnect backoff, seconds. */
  reconnect_max: number;
  /** The stats cache's directory. */
  cache_dir: string;
  /** The stats cache's cap in bytes; the oldest samples go first. */
  cache_max: number;
  /** Job journal, history and reply outbox: must survive restarts. */
  state_dir: string;
  /** dnsmasq's lease file. */
  dhcp_leases: string;
  /** A job's time limit in seconds (a job's own `timeout` wins). */
  job_timeout: number;
  /** Jobs run at once. */
  job_concurrency: number;
  /** Jobs waiting; beyond, `BUSY`. */
  job_queue: number;
  /** The bytes of a job's output kept (its tail). */
  job_output_max: number;
  /** Jobs must be signed with it (secret). */
  job_secret?: string;
  /** Seconds a signed job's timestamp may be from the box's clock. */
  job_max_age: number;
  /** Also accept the ambiguous legacy signature (`id\ntimestamp\ntype\nmsg`). */
  job_sig_legacy: boolean;
  /** `allow`: jobs run without a shell, and only these programs. */
  jobs: { allow?: string[] };
  /** Seconds a `network` job's link may take to come back. */
  network_check_s: number;
  /** The network restart of the ladder and of `network` jobs: a program and its arguments. */
  recovery_cmd: string;
  /** The last step of the ladder: a program and its arguments. */
  reboot_cmd: string;
  /** Desired state over MQTT (`config/...`): off when not set. */
  desired?: DesiredConfig;
  /**
   * Firmware upgrades (`sysupgrade` jobs): the hosts images may come from (none: upgrades
   * are off), the sysupgrade program, where the image is kept, the firmware release file.
   */
  upgrade: UpgradeConfig;
}

/** The `desired` key, filled in. */
export interface DesiredConfig {
  /** Seconds after applying within which the box must be online (and MQTT back). */
  confirm_s: number;
  /**
   * Seconds the services get to take a change before health counts, and for which it must
   * then stay good; at most half of `confirm_s` (default 10, or half of `confirm_s` if less).
   */
  settle_s: number;
  /** The UCI packages a desired state may change. */
  uci_packages: string[];
  /** Keys that move the broker or the agent's own files, allowed to a desired state anyway. */
  allow_keys: string[];
  /** The `uci` program. */
  uci: string;
  /** What reloads the services after a UCI change. */
  reload: string;
}

/** The `upgrade` key, filled in. */
export interface UpgradeConfig {
  /** `host` or `host:port`: images come from these only. */
  hosts: string[];
  /** The program that tests (`-T`) and flashes an image. */
  program: string;
  /** Where the image is downloaded. */
  dir: string;
  /** The running firmware's release file. */
  release_file: string;
}

/** Defaults that do not depend on other keys (`port` and `heartbeat` do: see validate.ts). */
export const DEFAULTS = {
  mac_file: "/etc/mac",
  qos: 1,
  tls: false,
  monitor: 15,
  debug: false,
  scan: true,
  survey: false,
  "no-cache": false,
  "no-ping": false,
  "ping-interval": 180,
  rest: false,
  reboot: 600,
  health_port: 53,
  disable_mqtt: false,
  insecure: false,
  control_socket: "/var/run/ledge.sock",
  app: "socketman",
  keepalive: 30,
  upload_format: "multipart",
  reconnect_max: 60,
  cache_dir: "/tmp/ledge",
  cache_max: 5 * 1024 * 1024,
  state_dir: "/etc/ledge/state",
  dhcp_leases: "/tmp/dhcp.leases",
  job_timeout: 300,
  job_concurrency: 2,
  job_queue: 32,
  job_output_max: 51200,
  job_max_age: 600,
  job_sig_legacy: false,
  jobs: {},
  network_check_s: 60,
  recovery_cmd: "/etc/init.d/network restart",
  reboot_cmd: "reboot",
  upgrade: { hosts: [], ...UPGRADE_DEFAULTS },
} satisfies Partial<Config>;
