import { loadConfigFile, redactConfig } from "../config/mod.ts";
import { parseCommandArgs } from "./args.ts";
import { runPreset } from "./flags.ts";
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
  const loaded = await loadConfigFile(path, (p) => Deno.readTextFile(p));
  for (const warning of loaded.warnings) io.err(`warning: ${warning}`);
  if (values["print-permissions"]) {
    const preset = runPreset(path, loaded, values["control-socket"], values["init-url"]);
    if (preset?.provisioning) {
      // First boot: no config yet. These flags let the agent provision one; it then exits 3
      // and is started again (procd respawns it) with that config's own preset.
      io.err(
        `warning: no valid config at ${path}: the flags to provision it from ${values["init-url"]}`,
      );
    }
    if (preset) {
      io.out(preset.flags.join(" "));
      return 0;
    }
  }
  if (!loaded.ok) {
    for (const error of loaded.errors) io.err(`error: ${error}`);
    io.err(`${path}: ${loaded.errors.length} error(s), config refused`);
    return 2;
  }
  io.out(JSON.stringify(redactConfig(loaded.config), null, 2));
  return 0;
}
