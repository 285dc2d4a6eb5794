import { assertEquals } from "../../tests/support/assert.ts";
import { fixture } from "../../tests/support/fixtures.ts";
import { channelOfFrequency } from "./_iw_text.ts";
import { parseIwDev } from "./iw_dev.ts";
import { parseIwinfoAssoclist, parseIwinfoScan } from "./iwinfo_ubus.ts";
import { parseIwScanDump } from "./iw_scan_dump.ts";
import { parseIwStationDump } from "./iw_station_dump.ts";

Deno.test("iw dev: interfaces across phys; the P2P device without netdev is dropped", () => {
  assertEquals(parseIwDev(fixture("iw/dev.txt")), {
    value: [
      {
        interface: "wlan1",
        ifindex: 9,
        bssid: "60:38:E0:11:22:34",
        ssid: "Cafe",
        type: "AP",
        channel: 6,
        frequency: 2437,
        tx_power: 20,
      },
      {
        interface: "wlan0",
        ifindex: 8,
        bssid: "60:38:E0:11:22:33",
        ssid: "Cafe Guest",
        type: "AP",
        channel: 36,
        frequency: 5180,
        tx_power: 23,
      },
    ],
    skipped: 0,
  });
});

Deno.test("iw station dump: exact values, SocketMan's keys, case and Mbit/s, as iwinfo gives them", () => {
  const { value, skipped } = parseIwStationDump(fixture("iw/station_dump.txt"));
  assertEquals(skipped, 0);
  // The same station as iwinfo's assoclist fixture: both tools must agree on every value.
  const iwinfo = parseIwinfoAssoclist("wlan0", fixture("iwinfo/assoclist_wlan0.json")).value[0];
  assertEquals(value[0], { ...iwinfo, associated: true });
  assertEquals(value.slice(1), [
    {
      interface: "wlan0",
      mac: "3C:22:FB:01:02:03",
      inactive_time: 1200,
      beacon_rx: 6437,
      beacon_loss: 1,
      signal: -70,
      beacon_signal_avg: -69,
      t_offset: -1234,
      tx_bitrate: 6,
      authorized: false,
      authenticated: true,
      associated: true,
      conn_time: 12,
    },
  ]);
});

Deno.test("iw station dump: an error message and a broken header are counted", () => {
  assertEquals(parseIwStationDump(fixture("iw/station_garbage.txt")), { value: [], skipped: 3 });
});

Deno.test("iw scan dump: channel from DS/HT or frequency, encryption worded like iwinfo", () => {
  // The first BSS is iwinfo's scan fixture's: iw has no quality, and words WPA3 as RSN.
  const { quality: _q, quality_max: _m, ...iwinfo } =
    parseIwinfoScan(fixture("iwinfo/scan_wlan0.json")).value[0];
  assertEquals(parseIwScanDump(fixture("iw/scan_dump.txt")), {
    value: [
      { ...iwinfo, encryption: "WPA2 PSK/SAE (CCMP)", last_seen: 240 },
      {
        mac: "C8:0E:14:AA:BB:CD",
        ssid: "FreeWifi",
        channel: 1,
        frequency: 2412,
        signal: -88,
        encryption: "none",
        last_seen: 1820,
      },
      {
        mac: "00:11:22:33:44:55",
        ssid: "OldWep",
        channel: 6,
        frequency: 2437,
        signal: -61,
        encryption: "WEP",
      },
    ],
    skipped: 0,
  });
});

Deno.test("channel of frequency: 2.4, 5 and 6 GHz; unknown bands omitted", () => {
  assertEquals([2412, 2484, 5180, 5955, 60480].map(channelOfFrequency), [1, 14, 36, 1, undefined]);
});
