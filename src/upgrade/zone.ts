/**
 * The box's local time, as OpenWRT configures it: `system.@system[0].zonename` (an IANA
 * name, which Deno's ICU knows) or `timezone` (a POSIX TZ string, which is also /etc/TZ).
 * Deno ignores a POSIX `TZ` in its environment, and procd gives the agent none: without
 * this, a window "02:00-05:00" would be UTC. Pure: the zone and an instant in, the local
 * time of day out.
 */
import { findSection, parseUciExport } from "../openwrt/mod.ts";

/** A time zone: an IANA name, a POSIX TZ rule, or both (the name wins when ICU knows it). */
export interface TimeZone {
  /** `Europe/Berlin`. */
  iana?: string;
  /** `CET-1CEST,M3.5.0,M10.5.0/3`. */
  posix?: string;
}

/** What the box says its zone is, from /etc/config/system (and /etc/TZ, its POSIX rule). */
export function zoneOf(systemConfig: string | undefined, etcTz: string | undefined): TimeZone {
  const sections = systemConfig ? parseUciExport(systemConfig) : [];
  const system = findSection(sections, "@system[0]")?.options;
  const text = (name: string) => {
    const value = system?.get(name);
    return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
  };
  // LuCI writes zone names with spaces where the IANA name has underscores.
  const iana = text("zonename")?.replaceAll(" ", "_");
  const posix = text("timezone") ?? (etcTz?.trim() || undefined);
  return { ...(iana ? { iana } : {}), ...(posix ? { posix } : {}) };
}

/** One end of daylight time: month, week (5: the last), weekday, and local seconds. */
interface Rule {
  month: number;
  week: number;
  day: number;
  seconds: number;
}

/** A POSIX TZ string read: offsets as seconds *east* of UTC (POSIX writes them west). */
interface PosixZone {
  std: number;
  dst?: { offset: number; start: Rule; end: Rule };
}

const NAME = /^(<[^>]+>|[A-Za-z]{3,})/;
const OFFSET = /^([+-]?)(\d{1,3})(?::(\d{2}))?(?::(\d{2}))?/;

function takeOffset(text: string): [number, string] | undefined {
  const m = OFFSET.exec(text);
  if (!m) return undefined;
  const seconds = Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0);
  return [m[1] === "-" ? -seconds : seconds, text.slice(m[0].length)];
}

function parseRule(text: string): Rule | undefined {
  const m = /^M(\d{1,2})\.(\d)\.(\d)(?:\/(.+))?$/.exec(text);
  if (!m) return undefined;
  const time = m[4] === undefined ? [7200, ""] as const : takeOffset(m[4]);
  if (!time || time[1] !== "") return undefined;
  const [month, week, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (month < 1 || month > 12 || week < 1 || week > 5 || day > 6) return undefined;
  return { month, week, day, seconds: time[0] };
}

/** A POSIX TZ string, or undefined when it is not one this reads (the `Mm.w.d` rules). */
export function parsePosixZone(text: string): PosixZone | undefined {
  let rest = text.trim();
  const std = NAME.exec(rest);
  if (!std) return undefined;
  rest = rest.slice(std[0].length);
  const stdOffset = takeOffset(rest);
  if (!stdOffset) return undefined;
  rest = stdOffset[1];
  const zone: PosixZone = { std: -stdOffset[0] || 0 };
  if (rest === "") return zone;
  const dst = NAME.exec(rest);
  if (!dst) return undefined;
  rest = rest.slice(dst[0].length);
  let dstOffset = zone.std + 3600;
  const explicit = takeOffset(rest);
  if (explicit) [dstOffset, rest] = [-explicit[0] || 0, explicit[1]];
  const [start, end] = rest.replace(/^,/, "").split(",").map(parseRule);
  if (!start || !end) return undefined;
  return { ...zone, dst: { offset: dstOffset, start, end } };
}

const DAY_S = 86_400;

/** UTC seconds at which `rule` happens in `year`, its local time at offset `offset`. */
function ruleInstant(year: number, rule: Rule, offset: number): number {
  const first = Date.UTC(year, rule.month - 1, 1) / 1000;
  const firstDay = new Date(first * 1000).getUTCDay();
  let date = 1 + ((rule.day - firstDay + 7) % 7) + (rule.week - 1) * 7;
  const days = new Date(Date.UTC(year, rule.month, 0)).getUTCDate();
  while (date > days) date -= 7;
  return first + (date - 1) * DAY_S + rule.seconds - offset;
}

/** The offset east of UTC, in seconds, at UTC ms `now`. */
function posixOffset(zone: PosixZone, now: number): number {
  if (!zone.dst) return zone.std;
  const { offset, start, end } = zone.dst;
  const t = now / 1000;
  const year = new Date((t + zone.std) * 1000).getUTCFullYear();
  const begins = ruleInstant(year, start, zone.std);
  const ends = ruleInstant(year, end, offset);
  const summer = begins < ends ? t >= begins && t < ends : t >= begins || t < ends;
  return summer ? offset : zone.std;
}

/** The offset east of UTC, in seconds, that ICU gives an IANA zone at `now`; undefined if unknown. */
function ianaOffset(name: string, now: number): number | undefined {
  try {
    const parts = new Intl.DateTimeFormat("en-US", {
      timeZone: name,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    }).formatToParts(now);
    const part = (type: string) => Number(parts.find((p) => p.type === type)!.value);
    const local = Date.UTC(
      part("year"),
      part("month") - 1,
      part("day"),
      part("hour"),
      part("minute"),
      part("second"),
    );
    return Math.round((local - Math.floor(now / 1000) * 1000) / 1000);
  } catch {
    return undefined;
  }
}

/**
 * Seconds east of UTC in the box's zone at UTC ms `now`: the IANA name when ICU knows it,
 * else the POSIX rule, else 0 (UTC).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const berlin = { posix: "CET-1CEST,M3.5.0,M10.5.0/3" };
 * assert.equal(zoneOffset(berlin, Date.UTC(2026, 0, 15)), 3600);
 * assert.equal(zoneOffset(berlin, Date.UTC(2026, 6, 15)), 7200);
 * ```
 */
export function zoneOffset(zone: TimeZone, now: number): number {
  const iana = zone.iana === undefined ? undefined : ianaOffset(zone.iana, now);
  if (iana !== undefined) return iana;
  const posix = zone.posix === undefined ? undefined : parsePosixZone(zone.posix);
  return posix ? posixOffset(posix, now) : 0;
}

/** Local ms since midnight in the zone at UTC ms `now`. */
export function localMsOfDay(zone: TimeZone, now: number): number {
  const day = DAY_S * 1000;
  return (((now + zoneOffset(zone, now) * 1000) % day) + day) % day;
}

/** `2026-03-29 02:30` local, for people. */
export function localTimeText(zone: TimeZone, at: number): string {
  return new Date(at + zoneOffset(zone, at) * 1000).toISOString().slice(0, 16).replace("T", " ");
}
