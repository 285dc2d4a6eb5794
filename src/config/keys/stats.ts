/** Device stats: what is collected and how often, the cache on disk, the uploads. */
import * as z from "zod/mini";
import { key } from "../field.ts";
import { FLAG, flag, httpUrl, int, intAllowed, PATH, path, URL_ALLOWED } from "../values.ts";

/** The keys of this group, each described once (docs/config.md is made from them). */
export const STATS_KEYS = {
  monitor: key(int(1), intAllowed(1, undefined, " (seconds; below 15 is raised to 15)"), {
    what: "seconds between collections; also the health watch's interval while online",
    owners: ["collect", "health"],
    socketman: true,
    default: 15,
  }),
  scan: key(flag, FLAG, {
    what: "wireless collection",
    owners: ["collect"],
    socketman: true,
    default: true,
  }),
  survey: key(flag, FLAG, {
    what: "the neighbour scan",
    owners: ["collect"],
    socketman: true,
    default: false,
  }),
  dhcp_leases: key(path, PATH, {
    what: "dnsmasq's lease file (`/var/lib/misc/dnsmasq.leases` is tried after)",
    owners: ["collect"],
    default: "/tmp/dhcp.leases",
  }),
  stats_url: key(httpUrl, URL_ALLOWED, {
    what: "where samples are uploaded",
    owners: ["uplink"],
    socketman: true,
  }),
  backup_stats_url: key(httpUrl, URL_ALLOWED, {
    what: "tried once when `stats_url` fails",
    owners: ["uplink"],
    socketman: true,
  }),
  heartbeat: key(int(1), intAllowed(1, undefined, " (seconds)"), {
    what: "seconds between uploads; not above `monitor`: 2 × `monitor`; at most 300",
    owners: ["uplink"],
    socketman: true,
    derived: "`sleep`, else 60",
  }),
  sleep: key(int(1), intAllowed(1, undefined, " (seconds)"), {
    what: "SocketMan's other name for the upload interval, used when `heartbeat` is absent",
    owners: ["uplink"],
    socketman: true,
  }),
  upload_format: key(z.enum(["multipart", "gzip"]), '"multipart" or "gzip"', {
    what: "the upload body: SocketMan's multipart file field, or a gzip body (stats.md)",
    owners: ["uplink"],
    default: "multipart",
  }),
  "no-cache": key(flag, FLAG, {
    what: "POST each sample as JSON at once, no cache on disk",
    owners: ["agent", "uplink"],
    socketman: true,
    default: false,
  }),
  cache_dir: key(path, PATH, {
    what: "the stats cache's directory",
    owners: ["spool"],
    default: "/tmp/ledge",
  }),
  cache_max: key(int(65536), intAllowed(65536, undefined, " (bytes)"), {
    what: "the stats cache's cap in bytes; the oldest samples go first",
    owners: ["spool"],
    default: 5 * 1024 * 1024,
  }),
};
