import { assert, assertEquals, assertMatch } from "../../tests/support/assert.ts";
import { SampleIds } from "./sample_id.ts";

const zeros = (bytes: Uint8Array) => bytes.fill(0);

Deno.test("sample ids: 26 Crockford chars, the time in the first 10", () => {
  const id = new SampleIds(() => 1732420000000, zeros).next();
  assertMatch(id, /^[0-9A-HJKMNP-TV-Z]{26}$/);
  assertEquals(id, "01JDE4EP80" + "0".repeat(16));
});

Deno.test("sample ids: ordered within one millisecond and across a clock stepped back", () => {
  let now = 1732420000000;
  const ids = new SampleIds(() => now, (b) => b.fill(0xff));
  const made = [ids.next(), ids.next()];
  now -= 60_000; // NTP steps the clock back
  made.push(ids.next());
  now += 120_000;
  made.push(ids.next());
  assertEquals(new Set(made).size, 4);
  assertEquals([...made].sort(), made);
});

Deno.test("sample ids: two collectors in one process do not share state", () => {
  const a = new SampleIds(() => 1, zeros);
  const b = new SampleIds(() => 1, zeros);
  a.next();
  assertEquals(b.next(), a.next().slice(0, 10) + "0".repeat(16));
  assert(a.next() > b.next());
});
