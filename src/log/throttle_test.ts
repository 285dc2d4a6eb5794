import { assertEquals } from "../../tests/support/assert.ts";
import { ManualClock } from "../../tests/support/clock.ts";
import { LogThrottle } from "./throttle.ts";

Deno.test("LogThrottle writes one line per kind per period and then says how many it held", async () => {
  const clock = new ManualClock();
  const lines: string[] = [];
  const throttle = new LogThrottle(clock, 60_000, (key, n) => lines.push(`${key}: ${n} more`));
  for (let i = 0; i < 5; i++) throttle.note("not json", () => lines.push(`not json ${i}`));
  throttle.note("too big", () => lines.push("too big"));
  assertEquals(lines, ["not json 0", "too big"]);
  await clock.advance(60_000);
  assertEquals(lines, ["not json 0", "too big", "not json: 4 more"]);
  throttle.note("not json", () => lines.push("not json again"));
  assertEquals(lines.at(-1), "not json again", "a new period writes at once");
  throttle.close();
  assertEquals(clock.pending, []);
});
