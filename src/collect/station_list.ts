import type { DhcpLease, Station } from "./sample.ts";

export interface StationRow {
  mac: string;
  ip?: string;
  hostname?: string;
  /** Lease expiry, unix seconds; 0 for an infinite lease. */
  expiry?: number;
  /** dBm, for stations associated to one of our radios. */
  signal?: number;
  interface?: string;
}

/**
 * The `stations` command's table: DHCP leases joined with wireless stations by MAC. Every
 * lease and every station appears once; wired clients have no signal, clients with a static
 * address no lease.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(
 *   joinStations(
 *     [{ mac: "aa:bb:cc:dd:ee:ff", ip: "192.168.1.10", expires: 0 }],
 *     [{ mac: "aa:bb:cc:dd:ee:ff", interface: "wlan0", signal: -50 }],
 *   ),
 *   [{ mac: "aa:bb:cc:dd:ee:ff", ip: "192.168.1.10", expiry: 0, signal: -50, interface: "wlan0" }],
 * );
 * ```
 */
export function joinStations(leases: DhcpLease[], stations: Station[]): StationRow[] {
  const rows = new Map<string, StationRow>();
  for (const lease of leases) {
    if (!lease.mac || rows.has(lease.mac)) continue;
    rows.set(lease.mac, {
      mac: lease.mac,
      ip: lease.ip,
      ...(lease.name ? { hostname: lease.name } : {}),
      expiry: lease.expires,
    });
  }
  for (const station of stations) {
    const row = rows.get(station.mac) ?? { mac: station.mac };
    if (station.signal !== undefined) row.signal = station.signal;
    row.interface = station.interface;
    rows.set(station.mac, row);
  }
  return [...rows.values()];
}
