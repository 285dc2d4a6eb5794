import {
  capabilityNeeds,
  loadConfigFile,
  permissionFlags,
  PRESET_V8_FLAGS,
  presetNeeds,
  redactConfig,
} from "../config/mod.ts";
import { type CliOutput, UsageError } from "./output.ts";
import { parseCommandArgs } from "./args.ts";

/** `ledge check-config PATH [--print-permissions]`: 0 valid, 2 invalid. */
export async function checkConfig(argv: string[], io: CliOutput): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    "print-permissions": { type: "boolean" },
    "control-socket": { type: "string", short: "S" },
    "init-url": { type: "string", short: "b" },
  });
  if (positionals.length !== 1) throw new UsageError("check-config takes one config path");
  const path = positionals[0];
  const loaded = await loadConfigFile(path, (p) => Deno.readTextFile(p));
  for (const warning of loaded.warnings) io.err(`warning: ${warning}`);
  if (!loaded.ok) {
    for (const error of loaded.errors) io.err(`error: ${error}`);
    io.err(`${path}: ${loaded.errors.length} error(s), config refused`);
    return 2;
  }
  if (values["print-permissions"]) {
    const needs = capabilityNeeds(loaded.config, {
      configPath: path,
      controlSocket: values["control-socket"] ?? loaded.config.control_socket,
      initUrl: values["init-url"],
    });
    io.out([PRESET_V8_FLAGS, ...permissionFlags(presetNeeds(needs), loaded.config)].join(" "));
    return 0;
  }
  io.out(JSON.stringify(redactConfig(loaded.config), null, 2));
  return 0;
}
