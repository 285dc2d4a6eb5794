import { assert, assertEquals, assertMatch } from "../../tests/support/assert.ts";
import { boundSample } from "./bound.ts";

const lease = (i: number) => ({
  mac: "02:00:00:00:00:01",
  ip: `10.0.${i >> 8}.${i & 255}`,
  expires: i,
});
const bytes = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)).length;

Deno.test("a sample within the cap is returned as it is", () => {
  const sample = {
    id: "a",
    device: { uptime: 1 },
    ssids: [],
    stations: [],
    survey: [],
    dhcp: [lease(1)],
  };
  assert(boundSample(sample, 4096) === sample);
});

Deno.test("an oversized sample is cut to fit: survey first, then leases, and it says so", () => {
  const sample = {
    id: "a",
    device: { uptime: 1 },
    survey: Array.from({ length: 100 }, (_, i) => ({ mac: `m${i}`, ssid: "neighbour" })),
    dhcp: Array.from({ length: 50_000 }, (_, i) => lease(i)),
    stations: [{ mac: "s", interface: "wlan0" }],
    ssids: [],
    errors: { wireless: "iw: not found" },
  };
  const bounded = boundSample(sample, 256 * 1024);
  assert(bytes(bounded) <= 256 * 1024, `${bytes(bounded)} bytes`);
  assertEquals((bounded.survey as unknown[]).length, 0);
  const kept = (bounded.dhcp as unknown[]).length;
  assert(kept > 1000 && kept < 50_000, `${kept} leases kept`);
  assertEquals(bounded.stations, sample.stations, "what fits is left whole");
  const errors = bounded.errors as Record<string, string>;
  assertEquals(errors.wireless, "iw: not found");
  assertMatch(
    errors.dhcp,
    new RegExp(`^kept ${kept} of 50000: a sample is capped at 262144 bytes`),
  );
  assertMatch(errors.survey, /^kept 0 of 100/);
  assertEquals(sample.dhcp.length, 50_000, "the original is not changed");
});
