/**
 * Pure validation of a parsed config object: every error at once (key, value received,
 * what is allowed), SocketMan's clamps applied with a warning, unknown keys warned about.
 */
import {
  type Config,
  CONFIG_KEYS,
  type ConfigKey,
  DEFAULTS,
  FIELDS,
  MAX_UPLOAD_INTERVAL_S,
  MIN_MONITOR_S,
  MIN_PING_INTERVAL_S,
  MIN_REBOOT_S,
  SECRET_KEYS,
} from "./schema.ts";
import { closest } from "./closest.ts";

/** A validated config and its warnings, or every error at once. */
export type Validation =
  | { ok: true; config: Config; warnings: string[] }
  | { ok: false; errors: string[]; warnings: string[] };

function isKnown(key: string): key is ConfigKey {
  return Object.hasOwn(FIELDS, key);
}

function describe(key: string, value: unknown): string {
  if ((SECRET_KEYS as readonly string[]).includes(key)) return kindOf(value);
  const json = JSON.stringify(value) ?? String(value);
  return json.length > 60 ? `${json.slice(0, 57)}...` : json;
}

/** What a value is, with its article, without showing it: "a number", "an object". */
function kindOf(value: unknown): string {
  if (Array.isArray(value)) return "an array";
  if (value === null) return "null";
  const type = typeof value;
  return `${/^[aeiou]/.test(type) ? "an" : "a"} ${type}`;
}

/**
 * Keys where SocketMan took 0 for "the default" (boot.c:134-175: ping 0 became its default,
 * health_port 0 became 53, monitor and sleep below their floor were raised): 0 is the
 * default here too, with a warning, instead of a refused config.
 */
const ZERO_IS_DEFAULT: readonly ConfigKey[] = [
  "ping-interval",
  "health_port",
  "monitor",
  "sleep",
  "heartbeat",
];

/**
 * SocketMan's config as it parsed (json-c's `get_int` reads "1883" as 1883): a string of
 * digits where the key takes a number becomes that number. Undefined: no such reading.
 */
function socketmanValue(
  key: ConfigKey,
  value: unknown,
): { value: unknown; note: string } | undefined {
  const number = typeof value === "string" && /^\d{1,15}$/.test(value) ? Number(value) : value;
  if (number === 0 && ZERO_IS_DEFAULT.includes(key)) {
    return { value: null, note: "0 means the default" };
  }
  if (number !== value && FIELDS[key].schema.safeParse(number).success) {
    return { value: number, note: "a number written as a string" };
  }
}

/** Validates a parsed config: every key, every error at once, defaults filled in, clamps warned. */
export function validateConfig(raw: unknown): Validation {
  const warnings: string[] = [];
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) {
    return { ok: false, errors: ["the config must be a JSON object"], warnings };
  }
  const errors: string[] = [];
  const given: Partial<Record<ConfigKey, unknown>> = {};
  const readAsSocketMan = new Map<string, string[]>();
  for (const [key, sent] of Object.entries(raw)) {
    if (!isKnown(key)) {
      const near = closest(key, CONFIG_KEYS);
      warnings.push(`unknown key "${key}" ignored${near ? ` (did you mean "${near}"?)` : ""}`);
      continue;
    }
    const loose = FIELDS[key].schema.safeParse(sent).success
      ? undefined
      : socketmanValue(key, sent);
    if (loose) readAsSocketMan.set(loose.note, [...readAsSocketMan.get(loose.note) ?? [], key]);
    const value = loose ? loose.value : sent;
    if (value === null) continue; // null means "not set", as an absent key
    const result = FIELDS[key].schema.safeParse(value);
    if (result.success) given[key] = result.data;
    else {
      // Inside an object or a list, the entry at fault is named: `upgrade.hosts.1: got ...`.
      const path = result.error.issues[0]?.path ?? [];
      const at = path.reduce<unknown>((v, k) => (v as Record<PropertyKey, unknown>)?.[k], value);
      const where = [key, ...path.map(String)].join(".");
      errors.push(`${where}: got ${describe(key, at)}; allowed: ${FIELDS[key].allowed}`);
    }
  }
  for (const [note, keys] of readAsSocketMan) {
    warnings.push(`${keys.join(", ")}: ${note}, read as SocketMan read it`);
  }
  // MQTT-3.1.2-22: a CONNECT with a password and no user name is invalid; brokers refuse it.
  if (given.password !== undefined && given.username === undefined) {
    errors.push("password: got a string; allowed: only with username (MQTT has no password alone)");
  }
  if (errors.length > 0) return { ok: false, errors, warnings };

  // In the order of the schema, so that printed configs read like the reference.
  const merged: Record<string, unknown> = { ...DEFAULTS, ...given };
  const config = Object.fromEntries(
    CONFIG_KEYS.filter((k) => merged[k] !== undefined).map((k) => [k, merged[k]]),
  ) as unknown as Config;
  config.port ??= config.tls ? 8883 : 1883;
  const raise = (key: "monitor" | "ping-interval", min: number) => {
    if (config[key] < min) {
      warnings.push(`${key}: ${config[key]} is below the minimum, raised to ${min}`);
      config[key] = min;
    }
  };
  raise("monitor", MIN_MONITOR_S);
  raise("ping-interval", MIN_PING_INTERVAL_S);
  if (config.reboot > 0 && config.reboot < MIN_REBOOT_S) {
    warnings.push(`reboot: ${config.reboot} is below ${MIN_REBOOT_S}, raised to ${MIN_REBOOT_S}`);
    config.reboot = MIN_REBOOT_S;
  }
  config.heartbeat = uploadInterval(given.heartbeat as number ?? config.sleep, config.monitor);
  const desired = config.desired;
  if (desired) desired.settle_s ??= Math.min(10, Math.floor(desired.confirm_s / 2));
  if (desired && desired.settle_s * 2 > desired.confirm_s) {
    const allowed = `at most half of desired.confirm_s (${desired.confirm_s})`;
    return {
      ok: false,
      errors: [`desired.settle_s: got ${desired.settle_s}; allowed: ${allowed}`],
      warnings,
    };
  }
  return { ok: true, config, warnings };
}

/**
 * SocketMan's upload interval: `heartbeat` (README) else `sleep` (code), default 60 s;
 * not above `monitor` means 2 × `monitor`; never more than 300 s.
 */
export function uploadInterval(requested: number | undefined, monitor: number): number {
  const seconds = requested ?? 60;
  return Math.min(seconds <= monitor ? 2 * monitor : seconds, MAX_UPLOAD_INTERVAL_S);
}
