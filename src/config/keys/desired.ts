/** The desired state over MQTT (docs/desired.md). */
import * as z from "zod/mini";
import { key, objectOf } from "../field.ts";
import { int, PROGRAM, program, text } from "../values.ts";

const DESIRED = {
  confirm_s: key(int(10, 3600), "an integer 10–3600 (seconds)", {
    what: "after applying, the box must be online (and MQTT back) within this",
    owners: ["desired"],
    default: 90,
  }),
  settle_s: key(int(1, 300), "an integer 1–300 (seconds), at most half of `confirm_s`", {
    what: "time the services get to take a change; health must then stay good this long",
    owners: ["desired"],
    derived: "10, or half of `confirm_s` when less",
  }),
  uci_packages: key(z.array(text), "UCI package names", {
    what: "the packages a desired state may change",
    owners: ["desired"],
    default: ["wireless", "network", "system", "dhcp"],
  }),
  allow_keys: key(z.array(text), "config keys", {
    what: "keys that move the broker or the agent's files, allowed to a desired state anyway",
    owners: ["desired"],
    default: [],
  }),
  uci: key(program, PROGRAM, {
    what: "the `uci` program",
    owners: ["desired"],
    default: "/sbin/uci",
  }),
  reload: key(program, PROGRAM, {
    what: "what reloads the services after a UCI change",
    owners: ["desired"],
    default: "/sbin/reload_config",
  }),
};

/** The keys of this group, each described once (docs/config.md is made from them). */
export const DESIRED_KEYS = {
  desired: key(
    objectOf(DESIRED),
    'an object { "confirm_s": 10–3600, "settle_s": 1–300 (at most confirm_s / 2), ' +
      '"uci_packages": [names], "allow_keys": [config keys], ' +
      `"uci", "reload": programs } (${PROGRAM})`,
    {
      what: "desired state over MQTT (desired.md); `{}` turns it on; off when not set",
      owners: ["desired", "agent"],
      sub: DESIRED,
    },
  ),
};
