/**
 * A generated router for tests and the benchmark: /proc, /sys/class/net, a dnsmasq lease
 * file and ubus iwinfo answers, in the real formats, sized by the caller.
 */
import { FakeExec, FakeFs } from "./fakes.ts";
import type { SystemInfo } from "../../src/collect/source.ts";

export interface RouterSize {
  interfaces: number;
  leases: number;
  stations: number;
}

const hex2 = (n: number) => (n & 0xff).toString(16).padStart(2, "0");
/** A distinct MAC per (prefix, n). */
export const fakeMac = (prefix: number, n: number) =>
  `02:${hex2(prefix)}:00:${hex2(n >> 16)}:${hex2(n >> 8)}:${hex2(n)}`;

export function fakeRouter(size: RouterSize): { fs: FakeFs; exec: FakeExec } {
  const files = new Map<string, string>([
    ["/proc/uptime", "350859.62 1364530.77\n"],
    ["/proc/loadavg", "0.08 0.03 0.01 1/61 4242\n"],
    ["/proc/meminfo", "MemTotal:         124184 kB\nMemFree:           71244 kB\n"],
    [
      "/proc/stat",
      "cpu  27540 0 31370 7003431 1090 0 4431 0 0 0\nprocs_running 1\nprocs_blocked 0\n",
    ],
    [
      "/proc/net/route",
      "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n" +
      "eth1\t00000000\t0100000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n",
    ],
    ["/etc/openwrt_version", "OpenWrt 23.05.2 r23630-842932a63d\n"],
    ["/tmp/sysinfo/model", "TP-Link Archer C7 v5\n"],
  ]);
  for (let i = 0; i < size.interfaces; i++) {
    const dir = `/sys/class/net/eth${i}`;
    files.set(`${dir}/ifindex`, `${i + 2}\n`);
    files.set(`${dir}/address`, `${fakeMac(1, i)}\n`);
    files.set(`${dir}/operstate`, "up\n");
    files.set(`${dir}/flags`, "0x1003\n");
    files.set(`${dir}/mtu`, "1500\n");
    for (const [k, counter] of ["rx_bytes", "tx_bytes", "rx_packets", "tx_packets"].entries()) {
      files.set(`${dir}/statistics/${counter}`, `${(i + 1) * 1000 + k}\n`);
    }
    for (const counter of ["rx_errors", "tx_errors", "rx_dropped", "tx_dropped"]) {
      files.set(`${dir}/statistics/${counter}`, "0\n");
    }
  }
  const leases: string[] = [];
  for (let i = 0; i < size.leases; i++) {
    leases.push(
      `${1732423600 + i} ${fakeMac(2, i)} 10.${i >> 16}.${(i >> 8) & 255}.${i & 255} host-${i} *`,
    );
  }
  files.set("/tmp/dhcp.leases", leases.length ? leases.join("\n") + "\n" : "");

  const stations = Array.from({ length: size.stations }, (_, i) => ({
    mac: fakeMac(2, i).toUpperCase(),
    signal: -40 - (i % 50),
    signal_avg: -41 - (i % 50),
    inactive: 10,
    connected_time: 100 + i,
    thr: 200000,
    authorized: true,
    authenticated: true,
    rx: { packets: i, bytes: i * 100, rate: 650000 },
    tx: { packets: i, bytes: i * 200, rate: 866700, retries: 1, failed: 0 },
  }));
  const exec = new FakeExec(
    new Map([
      ["ubus call iwinfo devices", JSON.stringify({ devices: ["wlan0"] })],
      [
        'ubus call iwinfo info {"device":"wlan0"}',
        JSON.stringify({ ssid: "Cafe", bssid: "60:38:E0:11:22:33", channel: 36, signal: -40 }),
      ],
      ['ubus call iwinfo assoclist {"device":"wlan0"}', JSON.stringify({ results: stations })],
      [
        'ubus call iwinfo scan {"device":"wlan0"}',
        JSON.stringify({ results: [{ bssid: "C8:0E:14:AA:BB:CC", ssid: "Nachbar", channel: 44 }] }),
      ],
    ]),
  );
  return { fs: new FakeFs(files), exec };
}

/** What Deno's --allow-sys API would say about the generated router. */
export function fakeSystem(interfaces: number): SystemInfo {
  return {
    networkInterfaces: () => fakeAddresses(interfaces),
    osUptime: () => 350859,
    loadavg: () => [0.08, 0.03, 0.01],
    systemMemoryInfo: () => ({
      total: 124184 * 1024,
      free: 71244 * 1024,
      available: 66572 * 1024,
      buffers: 0,
      cached: 0,
      swapTotal: 0,
      swapFree: 0,
    }),
  };
}

function fakeAddresses(interfaces: number): Deno.NetworkInterfaceInfo[] {
  return Array.from({ length: interfaces }, (_, i) => ({
    family: "IPv4" as const,
    name: `eth${i}`,
    address: `10.0.${i >> 8}.${(i & 255) + 1}`,
    netmask: "255.255.255.0",
    scopeid: null,
    cidr: `10.0.${i >> 8}.${(i & 255) + 1}/24`,
    mac: fakeMac(1, i),
  }));
}
