import { assertEquals } from "../tests/support/assert.ts";
import { ManualClock } from "../tests/support/clock.ts";
import { memoryLogger } from "./log/logger.ts";
import { DEFAULT_TRIM_POLICY, trimDue, type TrimState, trimWhenIdle } from "./memory_trim.ts";

const POLICY = DEFAULT_TRIM_POLICY;
const MIN = POLICY.minGapMs;

Deno.test("a trim is due in a quiet moment after work, not more often than minGapMs", () => {
  const trimmed = (events: number, ms: number): TrimState => ({ seen: 7, last: { events, ms } });
  const at = MIN + 1;
  assertEquals(trimDue(trimmed(5, 0), 7, at, POLICY), true, "worked, quiet, spaced");
  assertEquals(trimDue(trimmed(7, 0), 7, at, POLICY), false, "nothing since the last trim");
  assertEquals(trimDue(trimmed(5, 0), 8, at, POLICY), false, "busy right now");
  assertEquals(trimDue(trimmed(5, 0), 7, MIN - 1, POLICY), false, "the last trim is too recent");
  assertEquals(trimDue(trimmed(5, 0), 8, POLICY.maxGapMs, POLICY), true, "busy for too long");
});

Deno.test("the idle loop trims at the first quiet moment, with two signals, then waits", async () => {
  const clock = new ManualClock();
  let events = 0;
  const signals: number[] = [];
  const stop = new AbortController();
  const trims: number[] = [];
  const loop = trimWhenIdle({
    clock,
    log: memoryLogger("warn").log,
    events: () => events,
    signal: () => signals.push(clock.monotonic()),
    counted: () => (trims.push(clock.monotonic()), events++),
  }, stop.signal);
  const check = () => clock.advance(POLICY.checkMs);
  // Busy: every check sees a new event, no trim.
  for (let i = 0; i < 3; i++) events++, await check();
  assertEquals(signals, []);
  await check(); // quiet
  await clock.advance(POLICY.settleMs);
  assertEquals(signals.length, 2, "a trim is a pair of signals");
  assertEquals(signals[1] - signals[0], POLICY.settleMs);
  assertEquals(trims.length, 1);
  // Quiet with nothing done: no trim, however long.
  for (let i = 0; i < 100; i++) await check();
  assertEquals(trims.length, 1, "nothing to give back");
  // Work, then quiet: trimmed again, at least minGapMs after the first.
  events++;
  await check();
  await check();
  await clock.advance(POLICY.settleMs);
  assertEquals(trims.length, 2);
  assertEquals(trims[1] - trims[0] >= MIN, true);
  stop.abort();
  await loop;
});
