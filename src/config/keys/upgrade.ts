/** Firmware upgrades: `sysupgrade` jobs (docs/upgrade.md). */
import * as z from "zod/mini";
import { key, objectOf } from "../field.ts";
import { imageHost, PATH, path, PROGRAM, program } from "../values.ts";

const UPGRADE = {
  hosts: key(z.array(imageHost), "image hosts: host, host:port, IPv6, [IPv6]:port", {
    what: "where images may come from (none: upgrades are off); compared as a URL names its " +
      "host: lowercase, punycode, IPv6 in brackets",
    owners: ["upgrade"],
    default: [],
  }),
  program: key(program, PROGRAM, {
    what: "the program that tests (`-T`) and flashes an image",
    owners: ["upgrade"],
    default: "/sbin/sysupgrade",
  }),
  dir: key(path, PATH, {
    what: "where the image is downloaded (RAM on a router)",
    owners: ["upgrade"],
    default: "/tmp",
  }),
  release_file: key(path, PATH, {
    what: "the running firmware's release, read before and after the flash",
    owners: ["upgrade"],
    default: "/etc/openwrt_release",
  }),
};

/** The keys of this group, each described once (docs/config.md is made from them). */
export const UPGRADE_KEYS = {
  upgrade: key(
    objectOf(UPGRADE),
    `an object { "hosts": [image hosts: host, host:port, IPv6, [IPv6]:port], "program": a ` +
      `program, "dir", "release_file" } (${PROGRAM}; paths: ${PATH})`,
    {
      what: "firmware upgrades (`sysupgrade` jobs, upgrade.md)",
      owners: ["upgrade"],
      default: {},
      sub: UPGRADE,
    },
  ),
};
