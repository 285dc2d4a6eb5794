/**
 * A desired state as it arrives on `config/...` (retained): `{version, ledge?, uci?,
 * timestamp?, sig?}`, and the rules it must pass before anything is written. Pure: the
 * payload, the rules and the config file's keys in; the state, or the reason it is refused,
 * out. Every reason names the field and what it must be.
 */
import * as z from "zod/mini";
import { CONFIG_KEYS, MOVING_KEYS, PROGRAM_KEYS, validateConfig } from "../config/mod.ts";
import type { UciValue } from "../openwrt/mod.ts";

/** Beyond this a payload is not even decoded. */
const MAX_DESIRED_BYTES = 64 * 1024;
/** Deeper nesting is refused: no config key needs it, and it would be shown (ctl desired). */
const MAX_DEPTH = 16;
const MAX_UCI_VALUE = 1024;
const MAX_UCI_LIST = 64;
/**
 * The highest version: 10^15, so that a millisecond timestamp fits, and far enough below
 * 2^53 that a later version is always an exact integer above it.
 */
export const MAX_VERSION = 1e15;
const VERSION_RANGE = "must be an integer from 1 to 1000000000000000";

/**
 * UCI options that name a program some service runs (dnsmasq's `dhcpscript`, odhcpd's
 * `leasetrigger`, netifd's `script`, uhttpd's `interpreter` and prefixes, a firewall
 * include's `path`) or a file of more options (`conffile`, `confdir`): refused like the
 * config keys that decide what runs.
 */
export const PROGRAM_OPTIONS = [
  "dhcpscript",
  "leasetrigger",
  "script",
  "interpreter",
  "cgi_prefix",
  "lua_prefix",
  "ucode_prefix",
  "path",
  "conffile",
  "confdir",
] as const;

/** `package.section.option`: named or anonymous (`@wifi-iface[0]`) sections. */
const UCI_PATH = /^([a-z0-9_-]+)\.([A-Za-z0-9_]+|@[A-Za-z0-9_-]+\[-?\d+\])\.([A-Za-z0-9_]+)$/;

const UCI_TYPE = "must be a string, a list of strings, or null to delete the option";
const uciText = z.string({ error: UCI_TYPE }).check(
  z.maxLength(MAX_UCI_VALUE, `must be at most ${MAX_UCI_VALUE} characters`),
  z.refine((value) => !/[\n\r\0]/.test(value), "must be one line"),
);

const desiredSchema = z.object({
  version: z.int({ error: VERSION_RANGE }).check(
    z.positive(VERSION_RANGE),
    z.lte(MAX_VERSION, VERSION_RANGE),
  ),
  ledge: z.optional(
    z.record(z.string(), z.unknown(), { error: "must be an object of config keys" }),
  ),
  uci: z.optional(
    z.record(
      z.string(),
      z.nullable(z.union([
        uciText,
        z.array(uciText, { error: UCI_TYPE }).check(
          z.maxLength(MAX_UCI_LIST, `must be a list of at most ${MAX_UCI_LIST} values`),
        ),
      ], { error: UCI_TYPE })),
      { error: "must be an object of UCI paths" },
    ),
  ),
  timestamp: z.optional(z.number({ error: "must be unix seconds" })),
  sig: z.optional(z.string({ error: "must be a hex string" })),
});

/** A desired state: ledge config keys (null: back to the default) and UCI options (null: delete). */
export interface Desired {
  /** Only a version above the applied one is applied. */
  version: number;
  /** Config keys to set in the config file; null removes the key. */
  ledge: Record<string, unknown>;
  /** UCI options `package.section.option` to set, lists as arrays; null (or `""`) deletes. */
  uci: Record<string, UciValue | null>;
}

/** A payload read: the state and its raw object (for the signature), or why not. */
export type ParsedDesired =
  | { ok: true; desired: Desired; raw: Record<string, unknown> }
  | { ok: false; version?: number; reason: string };

/**
 * Decodes and validates the shape of one payload; never throws.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const payload = new TextEncoder().encode('{"version":2,"uci":{"system.@system[0].hostname":"ap1"}}');
 * const parsed = parseDesired(payload);
 * assert.ok(parsed.ok && parsed.desired.uci["system.@system[0].hostname"] === "ap1");
 * ```
 */
export function parseDesired(payload: Uint8Array): ParsedDesired {
  if (payload.length > MAX_DESIRED_BYTES) {
    return { ok: false, reason: `payload larger than ${MAX_DESIRED_BYTES} bytes` };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(payload));
  } catch {
    return { ok: false, reason: "payload is not UTF-8 JSON" };
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return { ok: false, reason: "payload is not a JSON object" };
  }
  if (depthOver(raw, MAX_DEPTH)) {
    return { ok: false, reason: `payload nested deeper than ${MAX_DEPTH} levels` };
  }
  const version = (raw as { version?: unknown }).version;
  const known = Number.isSafeInteger(version) ? { version: version as number } : {};
  const parsed = desiredSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, ...known, reason: `invalid ${issue.path.join(".")}: ${issue.message}` };
  }
  const { ledge = {}, uci = {} } = parsed.data;
  return {
    ok: true,
    desired: { version: parsed.data.version, ledge, uci },
    raw: raw as Record<string, unknown>,
  };
}

/** Whether `value` nests objects or arrays deeper than `max` levels (walked without recursion). */
function depthOver(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [next, depth] = stack.pop()!;
    if (next === null || typeof next !== "object") continue;
    if (depth > max) return true;
    for (const child of Object.values(next)) stack.push([child, depth + 1]);
  }
  return false;
}

/** What the config file on the box allows a desired state. */
export interface DesiredRules {
  /** `desired.allow_keys`. */
  allowKeys: readonly string[];
  /** `desired.uci_packages`. */
  uciPackages: readonly string[];
  /**
   * The agent's permission flags for a valid config file's keys, as one string: a key whose
   * change changes them needs `allowKeys` too (it changes what the agent may touch).
   */
  presetOf?(file: Record<string, unknown>): string;
}

/** The config file's keys with `keys` set over them; a null value removes its key. */
export function withKeys(
  file: Record<string, unknown>,
  keys: Record<string, unknown>,
): Record<string, unknown> {
  const next = { ...file };
  for (const [key, value] of Object.entries(keys)) {
    if (value === null) delete next[key];
    else next[key] = value;
  }
  return next;
}

/**
 * Why this desired state must not be applied over the config file's keys `file`, or the
 * file's keys as they would be after it. Program keys never; keys that move the broker
 * only when allowed; the result must be a valid config; UCI paths only in allowed packages.
 */
export function checkDesired(
  desired: Desired,
  rules: DesiredRules,
  file: Record<string, unknown>,
): { file: Record<string, unknown> } | { reason: string } {
  for (const key of Object.keys(desired.ledge)) {
    if (!(CONFIG_KEYS as readonly string[]).includes(key)) {
      return { reason: `ledge.${key}: not a config key` };
    }
    if ((PROGRAM_KEYS as readonly string[]).includes(key)) {
      return { reason: `ledge.${key}: decides what runs; only the config file on the box sets it` };
    }
    if (key === "state_dir") {
      return { reason: "ledge.state_dir: holds the desired state's own journal; never set so" };
    }
    if ((MOVING_KEYS as readonly string[]).includes(key) && !rules.allowKeys.includes(key)) {
      return { reason: `ledge.${key}: not in desired.allow_keys of the config file on the box` };
    }
  }
  const next = withKeys(file, desired.ledge);
  const validation = validateConfig(next);
  if (!validation.ok) return { reason: `ledge.${validation.errors[0]}` };
  const preset = rules.presetOf;
  if (preset) {
    const before = preset(file);
    for (const [key, value] of Object.entries(desired.ledge)) {
      if (rules.allowKeys.includes(key) || preset(withKeys(file, { [key]: value })) === before) {
        continue;
      }
      return {
        reason: `ledge.${key}: changes the agent's permissions (ledge flags); only with ` +
          "desired.allow_keys of the config file on the box",
      };
    }
  }
  for (const path of Object.keys(desired.uci)) {
    const match = UCI_PATH.exec(path);
    if (!match) return { reason: `uci.${path}: not a package.section.option path` };
    if (!rules.uciPackages.includes(match[1])) {
      return {
        reason: `uci.${path}: package ${match[1]} is not in desired.uci_packages ` +
          `(${rules.uciPackages.join(", ")})`,
      };
    }
    if ((PROGRAM_OPTIONS as readonly string[]).includes(match[3])) {
      return { reason: `uci.${path}: names a program or file a service runs; never set so` };
    }
  }
  return { file: next };
}
