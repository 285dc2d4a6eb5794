import { assertEquals } from "../../tests/support/assert.ts";
import { fixture } from "../../tests/support/fixtures.ts";
import {
  describeEncryption,
  parseIwinfoAssoclist,
  parseIwinfoDevices,
  parseIwinfoInfo,
  parseIwinfoScan,
} from "./iwinfo_ubus.ts";

Deno.test("iwinfo devices", () => {
  assertEquals(parseIwinfoDevices(fixture("iwinfo/devices.json")), {
    value: ["wlan0", "wlan1"],
    skipped: 0,
  });
  assertEquals(parseIwinfoDevices('{"devices":["ok",3,"bad/name"]}'), {
    value: ["ok"],
    skipped: 2,
  });
  assertEquals(parseIwinfoDevices("Command failed: Not found"), { value: [], skipped: 1 });
});

Deno.test("iwinfo info: an AP radio, every field", () => {
  assertEquals(parseIwinfoInfo("wlan0", fixture("iwinfo/info_wlan0.json")), {
    value: {
      interface: "wlan0",
      ssid: "Cafe Guest",
      bssid: "60:38:E0:11:22:33",
      channel: 36,
      frequency: 5180,
      noise: -95,
      signal: -40,
      quality: 70,
      quality_max: 70,
      bitrate: 866700,
      tx_power: 20,
    },
    skipped: 0,
  });
});

Deno.test("iwinfo info: a radio without signal, wrong types omitted", () => {
  assertEquals(parseIwinfoInfo("wlan1", fixture("iwinfo/info_wlan1_down.json")).value, {
    interface: "wlan1",
    ssid: "Cafe",
    bssid: "60:38:E0:11:22:34",
    channel: 6,
    frequency: 2437,
    noise: -91,
    quality_max: 70,
  });
  assertEquals(parseIwinfoInfo("wlan1", "[1,2]"), { value: undefined, skipped: 1 });
});

Deno.test("iwinfo assoclist: stations in SocketMan's keys, case and Mbit/s; bad entries counted", () => {
  const { value, skipped } = parseIwinfoAssoclist("wlan0", fixture("iwinfo/assoclist_wlan0.json"));
  assertEquals(skipped, 2);
  assertEquals(value, [
    {
      interface: "wlan0",
      mac: "A4:83:E7:12:34:56",
      inactive_time: 30,
      rx_packets: 182271,
      tx_packets: 351928,
      rx_bytes: 23117752,
      tx_bytes: 482017331,
      beacon_rx: 0,
      tx_retries: 188,
      tx_failed: 2,
      beacon_loss: 0,
      signal: -52,
      signal_avg: -51,
      tx_bitrate: 866,
      rx_bitrate: 650,
      authorized: true,
      authenticated: true,
      wmm: true,
      mfp: false,
      tdls: false,
      preamble: 1,
      conn_time: 3412,
      expected_tput: 412000,
      mcs: 9,
    },
    {
      interface: "wlan0",
      mac: "3C:22:FB:01:02:03",
      inactive_time: 1200,
      beacon_rx: 0,
      beacon_loss: 0,
      authorized: false,
    },
  ]);
});

Deno.test("iwinfo scan: neighbours with iwinfo's encryption wording", () => {
  assertEquals(parseIwinfoScan(fixture("iwinfo/scan_wlan0.json")), {
    value: [
      {
        mac: "C8:0E:14:AA:BB:CC",
        ssid: "Nachbar",
        channel: 44,
        frequency: 5220,
        signal: -78,
        quality: 32,
        quality_max: 70,
        encryption: "WPA2/WPA3 PSK/SAE (CCMP)",
      },
      {
        mac: "C8:0E:14:AA:BB:CD",
        channel: 1,
        signal: -88,
        quality: 22,
        quality_max: 70,
        encryption: "none",
      },
    ],
    skipped: 1,
  });
  assertEquals(parseIwinfoScan('{"results": 5}'), { value: [], skipped: 1 });
});

Deno.test("iwinfo encryption: WEP, WPA and unknown shapes", () => {
  assertEquals(describeEncryption({ enabled: true, wep: ["open"], ciphers: ["wep-40"] }), "WEP");
  assertEquals(
    describeEncryption({ enabled: true, wpa: [1], authentication: ["psk"], ciphers: ["tkip"] }),
    "WPA PSK (TKIP)",
  );
  assertEquals(describeEncryption("wpa2"), undefined);
});
