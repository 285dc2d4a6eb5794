import { assertEquals } from "../../tests/support/assert.ts";
import { fixture } from "../../tests/support/fixtures.ts";
import { macFromDuid, parseDnsmasqLeases } from "./dnsmasq_leases.ts";

Deno.test("leases: IPv4 and IPv6 leases, * hostname kept as SocketMan sent it, 0 kept as infinite", () => {
  assertEquals(parseDnsmasqLeases(fixture("dnsmasq/openwrt.leases")), {
    value: [
      {
        mac: "a4:83:e7:12:34:56",
        ip: "192.168.1.152",
        name: "iPhone-von-Anna",
        expires: 1732423600,
        client_id: "01:a4:83:e7:12:34:56",
      },
      {
        mac: "00:1a:2b:3c:4d:5e",
        ip: "192.168.1.20",
        name: "*",
        expires: 1732424711,
        client_id: "01:00:1a:2b:3c:4d:5e",
      },
      { mac: "b8:27:eb:aa:bb:cc", ip: "192.168.1.2", name: "raspberrypi", expires: 0 },
      { mac: "3c:22:fb:01:02:03", ip: "192.168.1.77", name: "MacBook-Pro", expires: 1732420001 },
      {
        mac: "a4:83:e7:12:34:56",
        ip: "fd12:3456:789a::1c2",
        name: "iPhone-von-Anna",
        expires: 1732425000,
        client_id: "00:01:00:01:2c:8b:1a:2e:a4:83:e7:12:34:56",
      },
      {
        ip: "fd12:3456:789a::99",
        name: "*",
        expires: 1732425000,
        client_id: "00:04:aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99",
      },
    ],
    skipped: 0,
  });
});

Deno.test("leases: each malformed line is skipped and counted", () => {
  const { value, skipped } = parseDnsmasqLeases(fixture("dnsmasq/malformed.leases"));
  assertEquals(value, [
    { mac: "a4:83:e7:12:34:56", ip: "192.168.1.152", name: "ok-host", expires: 1732423600 },
  ]);
  assertEquals(skipped, 7);
});

Deno.test("leases: CRLF lines parse, a torn last line is counted", () => {
  assertEquals(parseDnsmasqLeases(fixture("dnsmasq/truncated_crlf.leases")), {
    value: [
      { mac: "a4:83:e7:12:34:56", ip: "192.168.1.152", name: "ok-host", expires: 1732423600 },
    ],
    skipped: 1,
  });
  assertEquals(parseDnsmasqLeases(""), { value: [], skipped: 0 });
});

Deno.test("leases: MAC only from Ethernet DUID-LLT and DUID-LL", () => {
  assertEquals(macFromDuid("00:03:00:01:a4:83:e7:12:34:56"), "a4:83:e7:12:34:56");
  assertEquals(macFromDuid("00:01:00:06:2c:8b:1a:2e:a4:83:e7:12:34:56"), undefined);
  assertEquals(macFromDuid("00:02:00:00:00:09:01"), undefined);
});

Deno.test("leases: a huge file (50 000 leases, 1 bad line in 1000) is read whole", () => {
  const lines = Array.from(
    { length: 50_000 },
    (_, i) =>
      i % 1000 === 999
        ? "garbage"
        : `${1732420000 + i} 02:00:00:${
          [i >> 16, (i >> 8) & 255, i & 255]
            .map((b) => b.toString(16).padStart(2, "0")).join(":")
        } 10.${i >> 16}.${(i >> 8) & 255}.${i & 255} h${i} *`,
  );
  const { value, skipped } = parseDnsmasqLeases(lines.join("\n") + "\n");
  assertEquals([value.length, skipped], [49_950, 50]);
  assertEquals(value[49_949], {
    mac: "02:00:00:00:c3:4e",
    ip: "10.0.195.78",
    name: "h49998",
    expires: 1732469998,
  });
});
