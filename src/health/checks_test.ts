import { assertEquals } from "../../tests/support/assert.ts";
import { hasDefaultRoute } from "./checks.ts";

const HEADER =
  "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n";

Deno.test("route: a default route with RTF_UP is found", () => {
  const table = HEADER +
    "eth0\t00000000\t0102A8C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n" +
    "eth0\t0002A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";
  assertEquals(hasDefaultRoute(table), true);
});

Deno.test("route: only subnet routes, an empty table or garbage mean no default route", () => {
  assertEquals(
    hasDefaultRoute(HEADER + "eth0\t0002A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\n"),
    false,
  );
  assertEquals(hasDefaultRoute(HEADER), false);
  assertEquals(hasDefaultRoute(""), false);
  assertEquals(hasDefaultRoute("\n\n garbage \u0000 line"), false);
  // A default route that is not up does not count.
  assertEquals(
    hasDefaultRoute(HEADER + "eth0\t00000000\t0102A8C0\t0002\t0\t0\t0\t00000000\n"),
    false,
  );
});
