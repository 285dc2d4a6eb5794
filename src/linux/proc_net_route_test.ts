import { assertEquals } from "../../tests/support/assert.ts";
import { fixture } from "../../tests/support/fixtures.ts";
import { parseProcNetRoute } from "./proc_net_route.ts";

Deno.test("route: Debian default route via eth0", () => {
  assertEquals(parseProcNetRoute(fixture("proc/net_route/debian.txt")), {
    value: { wan_name: "eth0", wan_gateway: "192.0.2.1" },
    skipped: 0,
  });
});

Deno.test("route: PPPoE default route has no gateway, and wins on metric 0", () => {
  assertEquals(parseProcNetRoute(fixture("proc/net_route/openwrt_pppoe.txt")), {
    value: { wan_name: "pppoe-wan" },
    skipped: 0,
  });
});

Deno.test("route: lowest metric wins, routes not up are ignored, bad lines counted", () => {
  assertEquals(parseProcNetRoute(fixture("proc/net_route/metrics.txt")), {
    value: { wan_name: "wwan0", wan_gateway: "192.168.240.1" },
    skipped: 2,
  });
});

Deno.test("route: no default route, empty or header only", () => {
  assertEquals(parseProcNetRoute(""), { value: {}, skipped: 0 });
  const header = fixture("proc/net_route/debian.txt").split("\n")[0] + "\n";
  assertEquals(parseProcNetRoute(header), { value: {}, skipped: 0 });
});
