import { assertEquals } from "../../tests/support/assert.ts";
import { parseSysNetInterface } from "./sys_class_net.ts";

Deno.test("sys/class/net: a full interface, up from IFF_UP", () => {
  assertEquals(
    parseSysNetInterface("eth0", {
      ifindex: "2\n",
      address: "52:54:00:AB:CD:EF\n",
      operstate: "up\n",
      flags: "0x1003\n",
      mtu: "1500\n",
      "statistics/rx_bytes": "202435606\n",
      "statistics/tx_bytes": "232334\n",
      "statistics/rx_packets": "5442\n",
      "statistics/tx_packets": "3065\n",
      "statistics/rx_errors": "0\n",
      "statistics/tx_errors": "0\n",
      "statistics/rx_dropped": "7\n",
      "statistics/tx_dropped": "0\n",
    }),
    {
      value: {
        ifindex: 2,
        name: "eth0",
        mac: "52:54:00:ab:cd:ef",
        up: true,
        mtu: 1500,
        rx_bytes: 202435606,
        tx_bytes: 232334,
        rx_packets: 5442,
        tx_packets: 3065,
        rx_errors: 0,
        tx_errors: 0,
        rx_dropped: 7,
        tx_dropped: 0,
      },
      skipped: 0,
    },
  );
});

Deno.test("sys/class/net: loopback's operstate 'unknown' but IFF_UP set", () => {
  assertEquals(
    parseSysNetInterface("lo", { operstate: "unknown\n", flags: "0x9\n", mtu: "65536\n" }).value,
    { name: "lo", up: true, mtu: 65536 },
  );
});

Deno.test("sys/class/net: unreadable files omitted, bad values counted, tun's empty address", () => {
  assertEquals(
    parseSysNetInterface("tun0", {
      address: "\n",
      operstate: "down\n",
      mtu: "lots\n",
      "statistics/rx_bytes": "-1\n",
    }),
    { value: { name: "tun0", up: false }, skipped: 2 },
  );
});
