import { assert, assertEquals } from "../../tests/support/assert.ts";
import { flashDelayMs, parseWindow } from "./window.ts";

const at = (hh: number, mm: number) => (hh * 60 + mm) * 60_000;
const MIN = 60_000;

Deno.test("parseWindow takes HH:MM-HH:MM and names what is wrong otherwise", () => {
  assertEquals(parseWindow("23:00-01:00"), { start: 1380, end: 60 });
  for (const bad of ["", "2:00-5:00", "24:00-01:00", "02:60-03:00", "02:00", "03:00-03:00"]) {
    assertEquals(typeof parseWindow(bad), "string", bad);
  }
});

Deno.test("flashDelayMs: inside the window, a moment in what is left of it", () => {
  const window = { start: 120, end: 300 };
  assertEquals(flashDelayMs(window, at(3, 0), 0), 0);
  assertEquals(flashDelayMs(window, at(3, 0), 0.5), 60 * MIN);
  assert(flashDelayMs(window, at(4, 59), 0.999_999) < MIN);
});

Deno.test("flashDelayMs: before the window, at its start plus a share of its length", () => {
  const window = { start: 120, end: 300 };
  assertEquals(flashDelayMs(window, at(1, 0), 0), 60 * MIN);
  assertEquals(flashDelayMs(window, at(1, 0), 0.5), 60 * MIN + 90 * MIN);
});

Deno.test("flashDelayMs: after the window, the next day's; windows across midnight work", () => {
  assertEquals(flashDelayMs({ start: 120, end: 300 }, at(5, 0), 0), 21 * 60 * MIN);
  const night = { start: 23 * 60, end: 60 };
  assertEquals(flashDelayMs(night, at(0, 30), 0.5), 15 * MIN);
  assertEquals(flashDelayMs(night, at(22, 0), 0), 60 * MIN);
  assertEquals(flashDelayMs(night, at(1, 0), 0), 22 * 60 * MIN);
});

Deno.test("flashDelayMs: a fleet's delays spread over the whole window", () => {
  const window = { start: 120, end: 300 };
  const delays = Array.from({ length: 1000 }, (_, i) => flashDelayMs(window, at(1, 0), i / 1000));
  assertEquals(Math.min(...delays), 60 * MIN);
  assert(Math.max(...delays) > 60 * MIN + 179 * MIN);
  assert(Math.max(...delays) < 60 * MIN + 180 * MIN);
});
