/** Connectivity: what is probed, the recovery ladder, what runs at boot. */
import * as z from "zod/mini";
import { key } from "../field.ts";
import {
  COMMAND,
  command,
  HOST,
  httpUrl,
  httpUrlOk,
  int,
  intAllowed,
  isHost,
  text,
  URL_ALLOWED,
} from "../values.ts";

/** The keys of this group, each described once (docs/config.md is made from them). */
export const HEALTH_KEYS = {
  health_url: key(
    z.string().check(z.refine((s) => isHost(s) || httpUrlOk(s) || isHost(s.split("/")[0]))),
    `${HOST}, or an http:// or https:// URL`,
    {
      what: "the host probed for connectivity; unset: the broker's host and port",
      owners: ["health"],
      socketman: true,
    },
  ),
  health_port: key(int(1, 65535), intAllowed(1, 65535), {
    what: "the TCP port probed for connectivity",
    owners: ["health"],
    socketman: true,
    default: 53,
  }),
  reboot: key(int(0), intAllowed(0, undefined, " (seconds; 0 disables, 1–299 become 300)"), {
    what: "seconds offline before `reboot_cmd`; 0 never reboots",
    owners: ["health"],
    socketman: true,
    default: 600,
  }),
  recovery_cmd: key(command, COMMAND, {
    what: "the network restart of the recovery ladder and of `network` jobs",
    owners: ["health"],
    default: "/etc/init.d/network restart",
  }),
  reboot_cmd: key(command, COMMAND, {
    what: "the last step of the ladder",
    owners: ["health"],
    default: "reboot",
  }),
  boot_url: key(httpUrl, URL_ALLOWED, {
    what: "GET once, when the agent is first online; the answer is logged, never run",
    owners: ["health"],
    socketman: true,
  }),
  boot_cmd: key(text, "a shell command", {
    what: "run once at start (as a job: `/bin/sh -c`, timeout, output cap)",
    owners: ["health"],
    socketman: true,
  }),
};
