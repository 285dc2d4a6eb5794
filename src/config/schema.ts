/**
 * The config's keys (each described once in config/keys/), the `Config` type and the
 * defaults derived from them, and the lists of keys that matter to security.
 */
import type { DefaultsOf, ValuesOf } from "./field.ts";
import { defaultsOf } from "./field.ts";
import { AGENT_KEYS } from "./keys/agent.ts";
import { API_KEYS } from "./keys/api.ts";
import { DESIRED_KEYS } from "./keys/desired.ts";
import { HEALTH_KEYS } from "./keys/health.ts";
import { JOBS_KEYS } from "./keys/jobs.ts";
import { MQTT_KEYS } from "./keys/mqtt.ts";
import { STATS_KEYS } from "./keys/stats.ts";
import { UPGRADE_KEYS } from "./keys/upgrade.ts";

export { isHost, normalizeHost } from "./values.ts";

/** The keys in groups, each from its file in config/keys/, in the order of docs/config.md. */
export const KEY_GROUPS = [
  { title: "The MQTT session", file: "mqtt.ts", keys: MQTT_KEYS },
  { title: "The agent", file: "agent.ts", keys: AGENT_KEYS },
  { title: "The REST API", file: "api.ts", keys: API_KEYS },
  { title: "Stats", file: "stats.ts", keys: STATS_KEYS },
  { title: "Connectivity and recovery", file: "health.ts", keys: HEALTH_KEYS },
  { title: "Jobs", file: "jobs.ts", keys: JOBS_KEYS },
  { title: "Desired state", file: "desired.ts", keys: DESIRED_KEYS },
  { title: "Firmware upgrades", file: "upgrade.ts", keys: UPGRADE_KEYS },
] as const;

/**
 * Every key. Keys live in config/keys/ rather than in the folders that read them: every
 * folder reads `Config`, so a folder that defined its own keys would import config/ and be
 * imported by it. Each key names its readers (`owners`), and the docs show them.
 */
export const FIELDS:
  & typeof MQTT_KEYS
  & typeof AGENT_KEYS
  & typeof API_KEYS
  & typeof STATS_KEYS
  & typeof HEALTH_KEYS
  & typeof JOBS_KEYS
  & typeof DESIRED_KEYS
  & typeof UPGRADE_KEYS = {
    ...MQTT_KEYS,
    ...AGENT_KEYS,
    ...API_KEYS,
    ...STATS_KEYS,
    ...HEALTH_KEYS,
    ...JOBS_KEYS,
    ...DESIRED_KEYS,
    ...UPGRADE_KEYS,
  };

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
  "client_id",
  "mqtt_alpn",
  "mqtt_version",
  "session_expiry_s",
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
  "mqtt_backup_hosts",
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

/** The effective config: every key with a default, or derived from others, is filled in. */
export type Config = ValuesOf<typeof FIELDS>;

/** The `desired` key, filled in. */
export type DesiredConfig = NonNullable<Config["desired"]>;

/** The `upgrade` key, filled in. */
export type UpgradeConfig = Config["upgrade"];

/** Defaults that do not depend on other keys (`port` and `heartbeat` do: see validate.ts). */
export const DEFAULTS: DefaultsOf<typeof FIELDS> = defaultsOf(FIELDS);
