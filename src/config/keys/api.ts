/** The REST API: job replies and pings with `rest`, and how the API is reached. */
import * as z from "zod/mini";
import { key } from "../field.ts";
import { FLAG, flag, httpUrl, URL_ALLOWED } from "../values.ts";

/** The keys of this group, each described once (docs/config.md is made from them). */
export const API_KEYS = {
  api_url: key(httpUrl, URL_ALLOWED, {
    what:
      "REST replies (with `rest`): `PATCH <api_url>/operations/<id>` as SocketMan's code sent them",
    owners: ["replies"],
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
    what: "job results sent to `api_url` instead of MQTT (`DELIVERED` stays on MQTT)",
    owners: ["replies"],
    socketman: true,
    default: false,
  }),
  rest_format: key(z.enum(["socketman", "post"]), '"socketman" or "post"', {
    what:
      "REST results as SocketMan sent them (`PATCH .../operations/<id>`, `{success, msg}` + ours) " +
      "or ledge's earlier `POST <api_url>` of `{id, success, output, event_type, exit_code}`",
    owners: ["replies"],
    default: "socketman",
  }),
  insecure: key(flag, FLAG, {
    what: "API requests without certificate checks (never the broker)",
    owners: ["replies", "uplink", "health"],
    socketman: true,
    default: false,
  }),
};
