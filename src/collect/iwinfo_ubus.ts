/**
 * OpenWRT's `ubus call iwinfo devices|info|assoclist|scan` JSON. Every field is checked
 * for its type; a field of the wrong type is omitted, an entry without its key is skipped.
 */
import { defined, isInterfaceName, type Parsed, toLabel, toUpperMac } from "../linux/mod.ts";
import type { Ssid, Station, SurveyEntry } from "./sample.ts";

type Json = Record<string, unknown>;

function parseObject(text: string): Json | undefined {
  try {
    const value = JSON.parse(text);
    return value && typeof value === "object" && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

const isObject = (value: unknown): value is Json =>
  !!value && typeof value === "object" && !Array.isArray(value);
const num = (o: Json, key: string) =>
  typeof o[key] === "number" && Number.isFinite(o[key]) ? o[key] as number : undefined;
const bool = (o: Json, key: string) => typeof o[key] === "boolean" ? o[key] as boolean : undefined;
const mbits = (kbits: number | undefined) =>
  kbits === undefined ? undefined : Math.floor(kbits / 1000);
const str = (o: Json, key: string) =>
  typeof o[key] === "string" ? toLabel(o[key] as string) : undefined;

/** The `results` array of assoclist/scan: entries that are objects, and how many were not. */
function results(text: string): Parsed<Json[]> {
  const root = parseObject(text);
  if (!root || !Array.isArray(root.results)) return { value: [], skipped: 1 };
  const entries = root.results.filter(isObject);
  return { value: entries, skipped: root.results.length - entries.length };
}

/**
 * `ubus call iwinfo devices` → the wireless interface names.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(parseIwinfoDevices('{"devices":["wlan0","wlan1"]}').value, ["wlan0", "wlan1"]);
 * ```
 */
export function parseIwinfoDevices(text: string): Parsed<string[]> {
  const root = parseObject(text);
  if (!root || !Array.isArray(root.devices)) return { value: [], skipped: 1 };
  const names = root.devices.filter((d): d is string =>
    typeof d === "string" && isInterfaceName(d)
  );
  return { value: names, skipped: root.devices.length - names.length };
}

/**
 * `ubus call iwinfo info '{"device":"wlan0"}'` → one SSID entry.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(parseIwinfoInfo("wlan0", '{"ssid":"Home","channel":36,"signal":-40}').value, {
 *   interface: "wlan0",
 *   ssid: "Home",
 *   channel: 36,
 *   signal: -40,
 * });
 * ```
 */
export function parseIwinfoInfo(device: string, text: string): Parsed<Ssid | undefined> {
  const info = parseObject(text);
  if (!info) return { value: undefined, skipped: 1 };
  return {
    value: defined<Ssid>({
      interface: device,
      ssid: str(info, "ssid"),
      bssid: toUpperMac(str(info, "bssid")),
      channel: num(info, "channel"),
      frequency: num(info, "frequency"),
      noise: num(info, "noise"),
      signal: num(info, "signal"),
      quality: num(info, "quality"),
      quality_max: num(info, "quality_max"),
      bitrate: num(info, "bitrate"),
      tx_power: num(info, "txpower"),
    }),
    skipped: 0,
  };
}

/**
 * `ubus call iwinfo assoclist '{"device":"wlan0"}'` → the associated stations.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * const text = '{"results":[{"mac":"AA:BB:CC:DD:EE:FF","signal":-50}]}';
 * deepEqual(parseIwinfoAssoclist("wlan0", text), {
 *   value: [{ interface: "wlan0", mac: "AA:BB:CC:DD:EE:FF", beacon_rx: 0, beacon_loss: 0, signal: -50 }],
 *   skipped: 0,
 * });
 * ```
 */
export function parseIwinfoAssoclist(device: string, text: string): Parsed<Station[]> {
  const { value: entries, skipped } = results(text);
  const stations: Station[] = [];
  for (const entry of entries) {
    const mac = toUpperMac(str(entry, "mac"));
    if (!mac) continue;
    const rx = isObject(entry.rx) ? entry.rx : {};
    const tx = isObject(entry.tx) ? entry.tx : {};
    stations.push(defined<Station>({
      interface: device,
      mac,
      inactive_time: num(entry, "inactive"),
      rx_packets: num(rx, "packets"),
      tx_packets: num(tx, "packets"),
      rx_bytes: num(rx, "bytes"),
      tx_bytes: num(tx, "bytes"),
      // iwinfo has no beacon counters; SocketMan always sent them, 0 on an AP.
      beacon_rx: 0,
      tx_retries: num(tx, "retries"),
      tx_failed: num(tx, "failed"),
      beacon_loss: 0,
      signal: num(entry, "signal"),
      signal_avg: num(entry, "signal_avg"),
      // iwinfo's rates are kbit/s; SocketMan sent whole Mbit/s.
      tx_bitrate: mbits(num(tx, "rate")),
      rx_bitrate: mbits(num(rx, "rate")),
      authorized: bool(entry, "authorized"),
      authenticated: bool(entry, "authenticated"),
      associated: bool(entry, "associated"),
      wmm: bool(entry, "wme"),
      mfp: bool(entry, "mfp"),
      tdls: bool(entry, "tdls"),
      preamble: entry.preamble === "short" ? 1 : entry.preamble === "long" ? 0 : undefined,
      conn_time: num(entry, "connected_time"),
      expected_tput: num(entry, "thr"),
      mcs: num(tx, "mcs"),
    }));
  }
  return { value: stations, skipped: skipped + entries.length - stations.length };
}

/** iwinfo's `encryption` object as its Lua/CLI front ends word it: "WPA2 PSK (CCMP)". */
export function describeEncryption(encryption: unknown): string | undefined {
  if (!isObject(encryption) || typeof encryption.enabled !== "boolean") return undefined;
  if (!encryption.enabled) return "none";
  const words = (key: string) =>
    Array.isArray(encryption[key])
      ? (encryption[key] as unknown[]).filter((w) => typeof w === "string" || typeof w === "number")
      : [];
  const wpa = words("wpa");
  const auth = words("authentication").map((a) => String(a).toUpperCase());
  const ciphers = words("ciphers").map((c) => String(c).toUpperCase());
  if (wpa.length === 0) return auth.length || ciphers.length ? "WEP" : "unknown";
  const versions = wpa.map((v) => (v === 1 ? "WPA" : `WPA${v}`)).join("/");
  return [versions, auth.join("/"), ciphers.length ? `(${ciphers.join(", ")})` : ""]
    .filter(Boolean).join(" ");
}

/**
 * `ubus call iwinfo scan '{"device":"wlan0"}'` → the neighbouring BSSs.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * const text = '{"results":[{"bssid":"00:11:22:33:44:55","ssid":"Cafe","channel":1}]}';
 * deepEqual(parseIwinfoScan(text), {
 *   value: [{ mac: "00:11:22:33:44:55", ssid: "Cafe", channel: 1 }],
 *   skipped: 0,
 * });
 * ```
 */
export function parseIwinfoScan(text: string): Parsed<SurveyEntry[]> {
  const { value: entries, skipped } = results(text);
  const survey: SurveyEntry[] = [];
  for (const entry of entries) {
    const mac = toUpperMac(str(entry, "bssid"));
    if (!mac) continue;
    survey.push(defined<SurveyEntry>({
      mac,
      ssid: str(entry, "ssid"),
      channel: num(entry, "channel"),
      frequency: num(entry, "mhz"),
      signal: num(entry, "signal"),
      quality: num(entry, "quality"),
      quality_max: num(entry, "quality_max"),
      encryption: describeEncryption(entry.encryption),
    }));
  }
  return { value: survey, skipped: skipped + entries.length - survey.length };
}
