/** The REST API: job replies and pings with `rest`, and how the API is reached. */
import * as z from "zod/mini";
import { key } from "../field.ts";
import { FLAG, flag, httpUrl, URL_ALLOWED } from "../values.ts";

/** The keys of this group, each described once (docs/config.md is made from them). */
export const API_KEYS = {
  api_url: key(httpUrl, URL_ALLOWED, {
    what: "REST replies and pings (with `rest`)",
    owners: ["replies", "mqtt"],
    socketman: true,
  }),
  backup_url: key(httpUrl, URL_ALLOWED, {
    what: "tried once when `api_url` fails",
    owners: ["replies"],
    socketman: true,
  }),
  token: key(z.string(), "a string", {
    what: "sent as `?access_token=` to the API (secret)",
    owners: ["replies", "uplink", "health"],
    socketman: true,
  }),
  rest: key(flag, FLAG, {
    what: "job results POSTed to `api_url` instead of MQTT",
    owners: ["replies", "mqtt"],
    socketman: true,
    default: false,
  }),
  insecure: key(flag, FLAG, {
    what: "API requests without certificate checks (never the broker)",
    owners: ["replies", "uplink", "health"],
    socketman: true,
    default: false,
  }),
};
