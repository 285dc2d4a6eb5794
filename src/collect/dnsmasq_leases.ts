import { type Parsed, toCount, toLabel, toMac, wholeLines } from "../linux/mod.ts";
import type { DhcpLease } from "./sample.ts";

const IPV4 = /^((25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(25[0-5]|2[0-4]\d|1?\d?\d)$/;
const IPV6 = /^[0-9a-f:.]*:[0-9a-f:.]*$/i;
// dnsmasq prefixes the IAID of temporary-address leases with T.
const IAID = /^T?\d+$/;
const DUID = /^[0-9a-f]{2}(:[0-9a-f]{2}){1,129}$/i;

/** The MAC inside a DUID-LLT (type 1) or DUID-LL (type 3) of an Ethernet client, if any. */
export function macFromDuid(duid: string): string | undefined {
  const bytes = duid.toLowerCase().split(":");
  const ethernet = bytes[2] === "00" && bytes[3] === "01";
  if (bytes[0] !== "00" || !ethernet) return undefined;
  if (bytes[1] === "01" && bytes.length === 14) return bytes.slice(8).join(":");
  if (bytes[1] === "03" && bytes.length === 10) return bytes.slice(4).join(":");
  return undefined;
}

/**
 * A dnsmasq lease file. IPv4 lines are `EXPIRY MAC IP HOSTNAME CLIENT-ID`; a `duid SERVER-DUID`
 * line starts the IPv6 part, whose lines are `EXPIRY IAID IPv6 HOSTNAME CLIENT-DUID`. `*`
 * means "none": a client id of `*` is left out, a host name of `*` kept as `name: "*"`, as
 * SocketMan sent it. An expiry of 0 is an infinite lease.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(
 *   parseDnsmasqLeases("1732423600 aa:bb:cc:dd:ee:ff 192.168.1.10 phone *\n").value,
 *   [{ mac: "aa:bb:cc:dd:ee:ff", ip: "192.168.1.10", name: "phone", expires: 1732423600 }],
 * );
 * ```
 */
export function parseDnsmasqLeases(text: string): Parsed<DhcpLease[]> {
  const leases: DhcpLease[] = [];
  const { value: complete, skipped: torn } = wholeLines(text);
  let skipped = torn;
  let ipv6 = false;
  for (const line of complete) {
    const fields = line.trim().split(/\s+/);
    if (fields[0] === "duid" && fields.length === 2 && DUID.test(fields[1])) {
      ipv6 = true;
      continue;
    }
    const [expiryText, hw, ip, hostname, clientId] = fields;
    const expires = toCount(expiryText);
    const name = hostname === "*" ? "*" : toLabel(hostname, 253);
    const client = clientId === undefined || clientId === "*" ? undefined : clientId;
    const badCommon = fields.length < 4 || fields.length > 5 || expires === undefined ||
      (hostname !== "*" && name === undefined);
    const mac = badCommon
      ? undefined
      : IPV4.test(ip)
      ? toMac(hw)
      : ipv6 && IPV6.test(ip) && IAID.test(hw) && DUID.test(client ?? "")
      ? macFromDuid(client!) ?? null
      : undefined;
    if (mac !== undefined) {
      // Built field by field: this runs for every lease of every collection.
      const lease: DhcpLease = mac === null
        ? { ip, expires: expires! }
        : { mac, ip, expires: expires! };
      if (name !== undefined) lease.name = name;
      if (client !== undefined) lease.client_id = client;
      leases.push(lease);
    } else {
      skipped++;
    }
  }
  return { value: leases, skipped };
}
