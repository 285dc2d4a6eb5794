/**
 * The wait for a job's window, in the box's own zone. It is taken a minute at a time and
 * the clock asked again each time: a box without a clock battery may get its time from NTP
 * while it waits, and must not flash at the hour of before.
 */
import type { Clock } from "../io/mod.ts";
import { flashDelayMs, type FlashWindow, inWindow } from "./window.ts";
import { localMsOfDay, type TimeZone } from "./zone.ts";

/** A wait asks the clock again this often. */
const RECHECK_MS = 60_000;

/** What the wait is given. */
export interface WindowWait {
  clock: Clock;
  zone: TimeZone;
  /** In [0, 1): where in the window it flashes, drawn once. */
  draw: number;
  signal: AbortSignal;
  /** Told the (wall-clock) minute it plans to go at, each time the plan moves. */
  planned(at: number): Promise<void>;
}

/** Resolves once the window is open at the moment drawn; rejects when `signal` aborts. */
export async function waitForWindow(window: FlashWindow, wait: WindowWait): Promise<void> {
  const { clock, zone, draw, signal } = wait;
  let noted: number | undefined;
  for (;;) {
    const delay = flashDelayMs(window, localMsOfDay(zone, clock.now()), draw);
    if (delay === 0) return;
    const at = Math.floor((clock.now() + delay) / 60_000) * 60_000;
    if (at !== noted) {
      noted = at;
      await wait.planned(at);
    }
    if (delay <= RECHECK_MS) {
      await clock.sleep(delay, signal);
      if (inWindow(window, localMsOfDay(zone, clock.now()))) return;
    } else await clock.sleep(RECHECK_MS, signal);
  }
}
