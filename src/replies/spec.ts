/** The `replies` capability's spec: the outbox in `state_dir`, MQTT or REST. */
import type { CapabilitySpec } from "../capability.ts";
import { apiNeeds, needs } from "../permissions.ts";
import { RepliesCapability, type RepliesDeps } from "./capability.ts";

/** The `replies` capability: the outbox in `state_dir`, and the REST API with `rest`. */
export const repliesSpec: CapabilitySpec<RepliesDeps, "replies"> = {
  name: "replies",
  restartOn: ["state_dir", "rest", "api_url", "backup_url", "token", "reconnect_max"],
  needs: (config) => ({
    flags: needs({
      read: [config.state_dir],
      write: [config.state_dir],
      ...(config.rest ? apiNeeds([config.api_url, config.backup_url], config.insecure) : {}),
    }),
    // Without the API's net permission, REST replies wait in the outbox.
    gate: { read: [config.state_dir], write: [config.state_dir] },
  }),
  build: (ctx, deps) => new RepliesCapability(ctx, deps),
};
