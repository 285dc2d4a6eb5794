/** The agent itself: who the box is, its files, its control socket, its log. */
import { key } from "../field.ts";
import { FLAG, flag, PATH, path, TEXT, text, TOPIC_LEVEL, topicLevel } from "../values.ts";

/** The keys of this group, each described once (docs/config.md is made from them). */
export const AGENT_KEYS = {
  mac: key(topicLevel, TOPIC_LEVEL, {
    what: "the device's MAC, exactly as it appears in the topics; else read from `mac_file`",
    owners: ["agent", "mqtt", "cli"],
    socketman: true,
  }),
  mac_file: key(path, PATH, {
    what: "a file whose first line is the MAC (`/sys/class/net/eth0/address` works)",
    owners: ["agent", "cli"],
    socketman: true,
    default: "/etc/mac",
  }),
  app: key(text, TEXT, {
    what: "the `app` field of every message",
    owners: ["jobs", "mqtt", "upgrade"],
    default: "socketman",
  }),
  debug: key(flag, FLAG, {
    what: "debug logging (also `DEBUG=1`)",
    owners: ["cli"],
    socketman: true,
    default: false,
  }),
  state_dir: key(path, PATH, {
    what: "job journal, job history, reply outbox, upgrade journal: must survive restarts",
    owners: ["jobs", "replies", "upgrade", "desired"],
    default: "/etc/ledge/state",
  }),
  control_socket: key(path, PATH, {
    what: "the control socket (a change applies at the next start)",
    owners: ["agent", "cli"],
    default: "/var/run/ledge.sock",
  }),
  control_socket_group: key(text, "a group name", {
    what: "the socket becomes 0660 for this group (else 0600)",
    owners: ["agent"],
  }),
};
