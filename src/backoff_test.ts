import { assert, assertEquals } from "../tests/support/assert.ts";
import { boundedJitterDelay, fullJitterDelay } from "./backoff.ts";

Deno.test("full jitter: below a ceiling that doubles up to the max", () => {
  const backoff = { baseMs: 1000, maxMs: 8000 };
  const ceilings = [0, 1, 2, 3, 4, 9].map((n) => fullJitterDelay(n, backoff, () => 0.999999));
  assertEquals(ceilings, [999, 1999, 3999, 7999, 7999, 7999]);
  assertEquals(fullJitterDelay(2, backoff, () => 0), 0);
  const spread = new Set(
    Array.from({ length: 50 }, () => fullJitterDelay(3, backoff, Math.random)),
  );
  assert(spread.size > 40, "delays are spread, not synchronised");
});

Deno.test("bounded jitter: the doubled delay ±jitter, never below base × (1 − jitter)", () => {
  const backoff = { baseMs: 15_000, maxMs: 300_000, jitter: 0.2 };
  assertEquals(boundedJitterDelay(0, backoff, () => 0.5), 15_000);
  assertEquals(boundedJitterDelay(0, backoff, () => 0), 12_000);
  assertEquals(boundedJitterDelay(2, backoff, () => 0.5), 60_000);
  assertEquals(boundedJitterDelay(10, backoff, () => 0.5), 300_000);
});
