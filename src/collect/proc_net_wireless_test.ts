import { assertEquals } from "../../tests/support/assert.ts";
import { fixture } from "../../tests/support/fixtures.ts";
import { parseProcNetWireless } from "./proc_net_wireless.ts";

Deno.test("net/wireless: quality, signal and noise; -256 means unknown", () => {
  assertEquals(parseProcNetWireless(fixture("proc/net_wireless/openwrt.txt")), {
    value: [
      { interface: "wlan0", quality: 70, signal: -40 },
      { interface: "wlan1-1", quality: 43, signal: -67, noise: -95 },
    ],
    skipped: 1,
  });
});

Deno.test("net/wireless: headers only means no wireless interface", () => {
  assertEquals(parseProcNetWireless(fixture("proc/net_wireless/no_interfaces.txt")), {
    value: [],
    skipped: 0,
  });
});
