import { assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { ManualClock } from "../../tests/support/clock.ts";
import { deadline, settlesWithin, TIMED_OUT } from "./deadline.ts";

Deno.test("deadline gives the work's value when it comes first, and clears its timer", async () => {
  const clock = new ManualClock();
  assertEquals(await deadline(clock, 1000, Promise.resolve(7)), 7);
  assertEquals(clock.pending, []);
});

Deno.test("deadline gives TIMED_OUT when the clock passes first, or the signal aborts", async () => {
  const clock = new ManualClock();
  const never = new Promise<number>(() => {});
  const racing = deadline(clock, 1000, never);
  await clock.advance(999);
  await clock.advance(1);
  assertEquals(await racing, TIMED_OUT);
  const stop = new AbortController();
  const stopped = deadline(clock, 1000, never, stop.signal);
  stop.abort();
  assertEquals(await stopped, TIMED_OUT);
});

Deno.test("deadline passes a rejection on; settlesWithin counts it as settled", async () => {
  const clock = new ManualClock();
  await assertRejects(() => deadline(clock, 1000, Promise.reject(new Error("boom"))), /boom/);
  assertEquals(await settlesWithin(clock, 1000, Promise.reject(new Error("boom"))), true);
  const hung = settlesWithin(clock, 10, new Promise(() => {}));
  await clock.advance(10);
  assertEquals(await hung, false);
});
