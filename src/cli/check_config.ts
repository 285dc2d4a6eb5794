import { agentNeeds, presetFor } from "../agent.ts";
import { DEFAULTS, loadConfigFile, redactConfig, validateConfig } from "../config/mod.ts";
import { permissionFlags, PRESET_V8_FLAGS, presetNeeds } from "../permissions.ts";
import { parseCommandArgs } from "./args.ts";
import { type CliOutput, UsageError } from "./output.ts";

/** `ledge check-config PATH [--print-permissions] [-S SOCK] [-b URL]`: 0 valid, 2 invalid. */
export async function checkConfig(argv: string[], io: CliOutput): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    "print-permissions": { type: "boolean" },
    "control-socket": { type: "string", short: "S" },
    "init-url": { type: "string", short: "b" },
  });
  if (positionals.length !== 1) throw new UsageError("check-config takes one config path");
  const path = positionals[0];
  const initUrl = values["init-url"];
  const loaded = await loadConfigFile(path, (p) => Deno.readTextFile(p));
  for (const warning of loaded.warnings) io.err(`warning: ${warning}`);
  if (!loaded.ok && values["print-permissions"] && initUrl) {
    // First boot: no config yet. These flags let the agent provision one; it then
    // restarts with that config's own preset (exit 3, which procd answers with a respawn).
    io.err(`warning: no valid config at ${path}: the flags to provision it from ${initUrl}`);
    const defaults = validateConfig({});
    if (!defaults.ok) throw new Error("the defaults do not validate");
    const run = {
      configPath: path,
      controlSocket: values["control-socket"] ?? DEFAULTS.control_socket,
      initUrl,
    };
    const first = presetNeeds(Object.values(agentNeeds(defaults.config, run)));
    io.out([PRESET_V8_FLAGS, ...permissionFlags(first)].join(" "));
    return 0;
  }
  if (!loaded.ok) {
    for (const error of loaded.errors) io.err(`error: ${error}`);
    io.err(`${path}: ${loaded.errors.length} error(s), config refused`);
    return 2;
  }
  if (values["print-permissions"]) {
    const preset = presetFor(loaded.config, {
      configPath: path,
      controlSocket: values["control-socket"] ?? loaded.config.control_socket,
      initUrl,
    });
    io.out([PRESET_V8_FLAGS, ...permissionFlags(preset)].join(" "));
    return 0;
  }
  io.out(JSON.stringify(redactConfig(loaded.config), null, 2));
  return 0;
}
