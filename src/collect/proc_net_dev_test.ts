import { assertEquals } from "../../tests/support/assert.ts";
import { fixture } from "../../tests/support/fixtures.ts";
import { parseProcNetDev } from "./proc_net_dev.ts";

Deno.test("net/dev: OpenWRT interfaces with exact counters", () => {
  const { value, skipped } = parseProcNetDev(fixture("proc/net_dev/openwrt.txt"));
  assertEquals(skipped, 0);
  assertEquals(value.map((i) => i.name), ["lo", "eth0", "br-lan", "eth0.2", "wlan0"]);
  assertEquals(value[3], {
    name: "eth0.2",
    rx_bytes: 1173661728,
    rx_packets: 988140,
    rx_errors: 0,
    rx_dropped: 3,
    tx_bytes: 113948013,
    tx_packets: 660037,
    tx_errors: 1,
    tx_dropped: 0,
  });
  assertEquals(value[4].tx_dropped, 17);
});

Deno.test("net/dev: Debian", () => {
  const { value, skipped } = parseProcNetDev(fixture("proc/net_dev/debian.txt"));
  assertEquals(skipped, 0);
  assertEquals(value.find((i) => i.name === "eth0")?.rx_bytes, 202435606);
  assertEquals(value.find((i) => i.name === "eth0")?.tx_packets, 3065);
});

Deno.test("net/dev: old kernels' NAME:COUNT parses, short and bad lines counted", () => {
  const { value, skipped } = parseProcNetDev(fixture("proc/net_dev/old_kernel_and_garbage.txt"));
  assertEquals(skipped, 3);
  assertEquals(value.length, 1);
  assertEquals([value[0].name, value[0].rx_bytes, value[0].tx_packets], ["eth0", 1000, 20]);
});
