/** The MQTT session: the broker, its credentials, the topics, presence pings. */
import * as z from "zod/mini";
import { key } from "../field.ts";
import {
  FLAG,
  flag,
  HOST,
  host,
  int,
  intAllowed,
  PATH,
  path,
  TOPIC_LEVEL,
  topicLevel,
} from "../values.ts";

const PEM = `a PEM file: ${PATH}`;

/** The keys of this group, each described once (docs/config.md is made from them). */
export const MQTT_KEYS = {
  mqtt_host: key(host, HOST, {
    what: "the broker; without it there is no MQTT session",
    owners: ["mqtt", "health"],
    socketman: true,
  }),
  mqtt_backup_hosts: key(
    z.array(host).check(z.minLength(1), z.maxLength(8)),
    `a list of 1 to 8 of ${HOST}`,
    {
      what: "brokers tried in turn when the one before cannot be reached (the same port, TLS " +
        "and credentials); a lost session retries its own broker first",
      owners: ["mqtt"],
    },
  ),
  port: key(int(1, 65535), intAllowed(1, 65535), {
    what: "the broker's port",
    owners: ["mqtt", "health"],
    socketman: true,
    derived: "8883 with `tls`, else 1883",
  }),
  username: key(z.string(), "a string", {
    what: "MQTT user name",
    owners: ["mqtt"],
    socketman: true,
  }),
  password: key(z.string(), "a string", {
    what: "MQTT password (secret)",
    owners: ["mqtt"],
    socketman: true,
  }),
  topic: key(topicLevel, TOPIC_LEVEL, {
    what: "the first part of the topics' middle: `<topic>/<key>/<mac>`",
    owners: ["mqtt"],
    socketman: true,
  }),
  key: key(topicLevel, TOPIC_LEVEL, {
    what: "the second part of the topics' middle (secret in output)",
    owners: ["mqtt"],
    socketman: true,
  }),
  tls: key(flag, FLAG, {
    what: "TLS to the broker, always verified",
    owners: ["mqtt"],
    socketman: true,
    default: false,
  }),
  cacrt: key(path, PEM, {
    what: "the only CA (PEM) the broker's certificate may chain to (a pin: the runtime's " +
      "roots are not used; about 4 MB more memory); else the runtime's root store",
    owners: ["mqtt"],
    socketman: true,
  }),
  client_cert: key(path, PEM, {
    what: "the client certificate (PEM) for mTLS to the broker",
    owners: ["mqtt"],
  }),
  client_key: key(path, PEM, { what: "its private key (PEM)", owners: ["mqtt"] }),
  client_id: key(
    // deno-lint-ignore no-control-regex
    z.string().check(z.minLength(1), z.maxLength(256), z.refine((s) => !/\u0000/.test(s))),
    "a string of 1 to 256 characters without NUL",
    {
      what: "the MQTT client id; it names the persistent session on the broker, so keep it " +
        "stable per box",
      owners: ["mqtt"],
      derived: "`ledge-<mac>`",
    },
  ),
  mqtt_alpn: key(
    z.array(z.string().check(z.minLength(1), z.maxLength(255))).check(z.minLength(1)),
    "a list of ALPN protocol names (1 to 255 characters each)",
    {
      what: "ALPN protocols offered in the broker's TLS handshake (AWS IoT on port 443: " +
        '`["x-amzn-mqtt-ca"]`)',
      owners: ["mqtt"],
    },
  ),
  mqtt_version: key(z.enum(["3.1.1", "5", "auto"]), '"3.1.1", "5" or "auto"', {
    what: 'the MQTT protocol: 3.1.1 (SocketMan\'s), 5, or "auto" (5, then 3.1.1 for a broker ' +
      "that refuses it)",
    owners: ["mqtt"],
    default: "3.1.1",
  }),
  session_expiry_s: key(int(0, 0xffffffff), intAllowed(0, 0xffffffff, " (seconds)"), {
    what: "MQTT 5: how long the broker keeps the box's session once it is gone (0: not at " +
      "all; 3.1.1 sessions never expire)",
    owners: ["mqtt"],
    default: 7 * 86400,
  }),
  reply_expiry_s: key(int(0, 0xffffffff), intAllowed(0, 0xffffffff, " (seconds)"), {
    what: "MQTT 5: how long the broker keeps a reply for a back end that is away (0: for as " +
      "long as its session lives); counted from when the broker takes it",
    owners: ["mqtt"],
    default: 0,
  }),
  qos: key(z.union([z.literal(0), z.literal(1), z.literal(2)]), "0, 1 or 2", {
    what: "the job subscription's QoS; above 0 the session is persistent",
    owners: ["mqtt"],
    socketman: true,
    default: 1,
  }),
  keepalive: key(int(0, 65535), intAllowed(0, 65535, " (seconds)"), {
    what: "MQTT keepalive, seconds",
    owners: ["mqtt"],
    default: 30,
  }),
  reconnect_max: key(int(1, 86400), intAllowed(1, 86400, " (seconds)"), {
    what: "the ceiling of the reconnect backoff (full jitter), seconds",
    owners: ["mqtt", "replies"],
    default: 60,
  }),
  disable_mqtt: key(flag, FLAG, {
    what: "no MQTT session",
    owners: ["agent", "mqtt"],
    socketman: true,
    default: false,
  }),
  "no-ping": key(flag, FLAG, {
    what: "no pings",
    owners: ["mqtt"],
    socketman: true,
    default: false,
  }),
  "ping-interval": key(int(1), intAllowed(1, undefined, " (seconds; below 30 is raised to 30)"), {
    what: "seconds between pings on `status/...` (MQTT only, as SocketMan)",
    owners: ["mqtt"],
    socketman: true,
    default: 180,
  }),
};
