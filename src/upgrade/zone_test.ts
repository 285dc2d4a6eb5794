import { assertEquals } from "../../tests/support/assert.ts";
import { localMsOfDay, localTimeText, parsePosixZone, zoneOf, zoneOffset } from "./zone.ts";

const H = 3600;
const at = (iso: string) => Date.parse(iso);

Deno.test("POSIX TZ rules as OpenWRT's LuCI writes them: the switch to and from daylight time", () => {
  const berlin = { posix: "CET-1CEST,M3.5.0,M10.5.0/3" };
  // Europe switches at 01:00 UTC on the last Sundays of March and October (2026: 29th, 25th).
  assertEquals(zoneOffset(berlin, at("2026-03-29T00:59:59Z")), 1 * H);
  assertEquals(zoneOffset(berlin, at("2026-03-29T01:00:00Z")), 2 * H);
  assertEquals(zoneOffset(berlin, at("2026-10-25T00:59:59Z")), 2 * H);
  assertEquals(zoneOffset(berlin, at("2026-10-25T01:00:00Z")), 1 * H);
  const newYork = { posix: "EST5EDT,M3.2.0,M11.1.0" };
  assertEquals(zoneOffset(newYork, at("2026-03-08T06:59:59Z")), -5 * H);
  assertEquals(zoneOffset(newYork, at("2026-03-08T07:00:00Z")), -4 * H);
  // Southern summer spans the new year.
  const sydney = { posix: "AEST-10AEDT,M10.1.0,M4.1.0/3" };
  assertEquals(zoneOffset(sydney, at("2026-01-15T00:00:00Z")), 11 * H);
  assertEquals(zoneOffset(sydney, at("2026-06-15T00:00:00Z")), 10 * H);
  assertEquals(zoneOffset({ posix: "IST-5:30" }, at("2026-06-15T00:00:00Z")), 5.5 * H);
  assertEquals(zoneOffset({ posix: "<+03>-3" }, at("2026-06-15T00:00:00Z")), 3 * H);
  assertEquals(parsePosixZone("not a zone"), undefined);
  assertEquals(zoneOffset({ posix: "nonsense" }, 0), 0, "unreadable: UTC");
});

Deno.test("an IANA name wins when ICU knows it (LuCI's spaces read as underscores)", () => {
  const zone = zoneOf(
    "\nconfig system\n\toption zonename 'America/Sao Paulo'\n\toption timezone '<-03>3'\n",
    undefined,
  );
  assertEquals(zone, { iana: "America/Sao_Paulo", posix: "<-03>3" });
  assertEquals(zoneOffset(zone, at("2026-06-15T12:00:00Z")), -3 * H);
  assertEquals(zoneOffset({ iana: "Nowhere/Else", posix: "UTC0" }, 0), 0, "unknown: the rule");
  assertEquals(zoneOf(undefined, "CET-1CEST,M3.5.0,M10.5.0/3\n"), {
    posix: "CET-1CEST,M3.5.0,M10.5.0/3",
  });
  assertEquals(zoneOf("\nconfig system\n\toption hostname 'ap'\n", undefined), {});
});

Deno.test("local time of day and for people", () => {
  const berlin = { posix: "CET-1CEST,M3.5.0,M10.5.0/3" };
  const now = at("2026-07-01T00:30:00Z");
  assertEquals(localMsOfDay(berlin, now), (2 * 60 + 30) * 60_000);
  assertEquals(localTimeText(berlin, now), "2026-07-01 02:30");
  assertEquals(localMsOfDay({}, now), 30 * 60_000);
});
