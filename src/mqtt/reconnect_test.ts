import { assert, assertEquals } from "../../tests/support/assert.ts";
import { AFTER_LOSS_ATTEMPT, reconnectDelayMs } from "./session.ts";

Deno.test("backoff ceiling doubles from 1 s and stops at reconnect_max", () => {
  const ceiling = (attempt: number) => reconnectDelayMs(attempt, 60, () => 1);
  const ceilings = [0, 1, 2, 3, 4, 5, 6, 7].map(ceiling);
  assertEquals(ceilings, [1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
  assertEquals(ceiling(1000), 60000);
});

Deno.test("backoff is full jitter: anywhere from 0 to the ceiling", () => {
  assertEquals(reconnectDelayMs(3, 60, () => 0), 0);
  assertEquals(reconnectDelayMs(3, 60, () => 0.5), 4000);
  const draws = Array.from({ length: 200 }, () => reconnectDelayMs(5, 60));
  assert(draws.every((d) => d >= 0 && d < 32000));
  assert(new Set(draws).size > 100, "draws are spread, not a fixed period");
});

Deno.test("a small reconnect_max caps even the first attempt", () => {
  assertEquals(reconnectDelayMs(0, 1, () => 0.999), 999);
  assertEquals(reconnectDelayMs(5, 2, () => 0.5), 1000);
});

Deno.test("after a lost session the first retry draws over the whole window", () => {
  assertEquals(reconnectDelayMs(AFTER_LOSS_ATTEMPT, 60, () => 0.5), 30_000);
  assertEquals(reconnectDelayMs(AFTER_LOSS_ATTEMPT + 1, 60, () => 0.5), 30_000);
});
