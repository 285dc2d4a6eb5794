/** The `desired` capability's spec: the config file it may write, `uci` and `reload_config`. */
import type { CapabilitySpec } from "../capability.ts";
import { type Config, mqttOff } from "../config/mod.ts";
import { tempPathOf } from "../io/mod.ts";
import { needs } from "../permissions.ts";
import { DesiredCapability, type DesiredDeps } from "./capability.ts";

/** Why desired state is off for this config, or undefined when it is on. */
export function desiredOff(config: Config): string | undefined {
  if (!config.desired) return "desired is not set: desired state over MQTT is off";
  return mqttOff(config) ? "no MQTT session to receive it" : undefined;
}

/** The `desired` capability: on when the config has a `desired` object and MQTT runs. */
export const desiredSpec: CapabilitySpec<DesiredDeps, "desired"> = {
  name: "desired",
  restartOn: ["desired", "state_dir"],
  off: desiredOff,
  needs: (config, run) => {
    if (!config.desired) return { flags: needs({}) };
    const { uci, reload } = config.desired;
    // The config file is rewritten through PATH.tmp; Deno's rename asks read and write on both.
    const file = [run.configPath, tempPathOf(run.configPath)];
    return {
      flags: needs({
        run: [uci, reload],
        read: [config.state_dir, ...file],
        write: [config.state_dir, ...file],
      }),
      gate: { read: [config.state_dir], write: [config.state_dir] },
    };
  },
  build: (ctx, deps) => new DesiredCapability(ctx, deps),
};
