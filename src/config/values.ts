/**
 * The kinds of values config keys hold, each with what is allowed in the operator's words.
 * Values that end up in a permission flag or a command line are checked here so that none
 * can widen a flag or split the launcher's command line.
 */
import * as z from "zod/mini";
import { parseArgv } from "../io/argv.ts";

/** SocketMan wrote booleans as 0/1; both forms are accepted and stored as booleans. */
export const flag = z.pipe(
  z.union([z.boolean(), z.literal(0), z.literal(1)]),
  z.transform((v) => v === true || v === 1),
);
export const FLAG = "true/false or 0/1";

export function int(min: number, max = Number.MAX_SAFE_INTEGER): z.ZodMiniType<number> {
  return z.int().check(z.gte(min), z.lte(max));
}
export function intAllowed(min: number, max?: number, unit = ""): string {
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
export const path = z.string().check(z.refine((s) => s.startsWith("/") && !UNSAFE_IN_FLAG.test(s)));
export const PATH = "an absolute path without spaces, commas, '=' or control characters";

/** A program: an absolute path, or a name looked up on PATH; named in --allow-run. */
export const programWord = (s: string) =>
  (s.startsWith("/") || /^[A-Za-z0-9._+-]+$/.test(s)) &&
  !UNSAFE_IN_FLAG.test(s);
export const program = z.string().check(z.refine(programWord));
export const PROGRAM =
  "a program: an absolute path (no spaces, commas, '=' or control characters) " +
  "or a name on PATH";

/** A program and its arguments, split without a shell; the program as `program`. */
export const command = z.string().check(z.refine((s) => {
  if (CONTROL.test(s)) return false;
  const parsed = parseArgv(s);
  return parsed.ok && programWord(parsed.value[0]);
}));
export const COMMAND = `a program and its arguments (${PROGRAM}), without control characters`;

/** A host name, an IPv4 address, or an IPv6 address (bare or in brackets). */
export function isHost(s: string): boolean {
  if (/^\[?[0-9A-Fa-f:.]+\]?$/.test(s) && s.includes(":")) {
    return /^\[[^\]]+\]$|^[^\[\]]+$/.test(s);
  }
  return /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/
    .test(s) && s.length <= 253;
}
export const host = z.string().check(z.refine(isHost));

/**
 * An image host as the download compares it with a URL's (`new URL(url).host`): lowercase,
 * an international name in punycode, IPv6 in brackets, with its port when one is given.
 * Undefined for anything else (a URL, a path, a list).
 *
 * @example
 * ```ts
 * import { equal } from "node:assert/strict";
 * equal(normalizeHost("Fw.Example.NET"), "fw.example.net");
 * equal(normalizeHost("::1"), "[::1]");
 * equal(normalizeHost("https://fw.example.net/"), undefined);
 * ```
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
export const imageHost = z.pipe(
  z.string().check(z.refine((s) => normalizeHost(s) !== undefined)),
  z.transform((s) => normalizeHost(s)!),
);
export const HOST = "a host name, an IPv4 address or an IPv6 address";

/** An http(s) URL whose host is a plain host (the WHATWG parser lets `a,b` through). */
export function httpUrlOk(s: string): boolean {
  try {
    const url = new URL(s);
    return ["http:", "https:"].includes(url.protocol) && isHost(url.hostname);
  } catch {
    return false;
  }
}
export const httpUrl = z.string().check(z.refine(httpUrlOk));
export const URL_ALLOWED = "an http:// or https:// URL";
export const text = z.string().check(z.minLength(1));
export const TEXT = "a non-empty string";

/**
 * A level of an MQTT topic name: `+` and `#` are wildcards and `/` a separator in a filter,
 * and NUL is never allowed (MQTT-4.7.1, 4.7.3-2): the broker would refuse the subscription
 * or publish to another topic than the box's.
 */
export const topicLevel = z.string().check(
  z.minLength(1),
  // deno-lint-ignore no-control-regex
  z.refine((s) => !/[+#/\u0000]/.test(s)),
);
export const TOPIC_LEVEL = "a non-empty string without '+', '#', '/' or NUL (one MQTT topic level)";
