/**
 * The flash window: `"02:00-05:00"` in local time (a window may cross midnight,
 * `"23:00-01:00"`). Pure: the upgrader gives the local time of day and a random number.
 */

/** A window as minutes after local midnight; `end` may be below `start` (crosses midnight). */
export interface FlashWindow {
  /** Minutes after local midnight. */
  start: number;
  /** Minutes after local midnight; below `start` when the window crosses midnight. */
  end: number;
}

const DAY_MIN = 24 * 60;
const PATTERN = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$/;

/**
 * Parses `"HH:MM-HH:MM"`; the reason when it is not one.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseWindow("02:00-05:30"), { start: 120, end: 330 });
 * assert.equal(typeof parseWindow("2-5"), "string");
 * ```
 */
export function parseWindow(text: string): FlashWindow | string {
  const match = PATTERN.exec(text);
  if (!match) return 'must be "HH:MM-HH:MM" in local time, such as "02:00-05:00"';
  const [, h1, m1, h2, m2] = match.map(Number);
  const window = { start: h1 * 60 + m1, end: h2 * 60 + m2 };
  return window.start === window.end ? "must not start and end at the same minute" : window;
}

/**
 * How long to wait, in ms, from `msOfDay` (local time since midnight) to a moment drawn
 * uniformly (by `random`, in [0, 1)) from what is left of the window, this one if it is
 * open, else the next one: a fleet given the same window flashes spread across it.
 */
export function flashDelayMs(window: FlashWindow, msOfDay: number, random: number): number {
  const length = ((window.end - window.start + DAY_MIN) % DAY_MIN) * 60_000;
  const day = DAY_MIN * 60_000;
  // Where `msOfDay` is, counted from the window's start (0 ≤ since < one day).
  const since = ((msOfDay - window.start * 60_000) % day + day) % day;
  if (since < length) return Math.floor(random * (length - since));
  return day - since + Math.floor(random * length);
}

/** Whether local time `msOfDay` is within the window. */
export function inWindow(window: FlashWindow, msOfDay: number): boolean {
  const length = ((window.end - window.start + DAY_MIN) % DAY_MIN) * 60_000;
  const day = DAY_MIN * 60_000;
  return ((msOfDay - window.start * 60_000) % day + day) % day < length;
}
