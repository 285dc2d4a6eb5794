/**
 * `ledge flags COMMAND [ARGS]...`: the `deno run` flags that one command line needs, and no
 * more. The launchers (`deno task ledge`, the packages' /usr/bin/ledge) ask it first, then
 * run the command under exactly those flags; `run` gets its config's hardened preset.
 */
import { agentNeeds, presetFor } from "../agent/mod.ts";
import { collectNeeds } from "../collect/mod.ts";
import { DEFAULTS, loadConfigFile, validateConfig, type Validation } from "../config/mod.ts";
import {
  needs,
  permissionFlags,
  PRESET_V8_FLAGS,
  presetNeeds,
  UnsafePermissionError,
} from "../permissions.ts";
import { parseCommandArgs } from "./args.ts";
import { type CliOutput, UsageError } from "./output.ts";

const read = (path: string) => loadConfigFile(path, (p) => Deno.readTextFile(p));

/** The control socket a `ctl` or `run` command line talks to. */
async function socketOf(socket: string | undefined, config: string | undefined) {
  if (socket) return socket;
  if (config) {
    const loaded = await read(config);
    if (loaded.ok) return loaded.config.control_socket;
  }
  return DEFAULTS.control_socket;
}

const socketFlags = (sock: string) =>
  permissionFlags(needs({ read: [sock], write: [sock], net: [`unix:${sock}`] }));

/**
 * `ledge run`'s flags for the config at `path`: its hardened preset; with no valid config
 * and an init URL, what provisioning one needs (the agent then restarts with the
 * provisioned config's own preset). Undefined when there is neither.
 */
export function runPreset(
  path: string,
  loaded: Validation,
  controlSocket: string | undefined,
  initUrl: string | undefined,
): { flags: string[]; provisioning: boolean } | undefined {
  const run = { configPath: path, initUrl };
  if (loaded.ok) {
    const socket = controlSocket ?? loaded.config.control_socket;
    const preset = presetFor(loaded.config, { ...run, controlSocket: socket });
    return { flags: [PRESET_V8_FLAGS, ...permissionFlags(preset)], provisioning: false };
  }
  const defaults = validateConfig({});
  if (!initUrl || !defaults.ok) return undefined;
  const socket = controlSocket ?? DEFAULTS.control_socket;
  const first = agentNeeds(defaults.config, { ...run, controlSocket: socket });
  return {
    flags: [PRESET_V8_FLAGS, ...permissionFlags(presetNeeds(Object.values(first)))],
    provisioning: true,
  };
}

/** The flags of one command line (its first word is the subcommand). */
export async function flagsFor(argv: string[]): Promise<string[]> {
  const [first = "help", ...rest] = argv;
  // SocketMan's `socketman --config=PATH -b URL` means `run`.
  const [command, args] = first.startsWith("-") && first !== "-h" && first !== "--help"
    ? ["run", argv]
    : [first, rest];
  const options = {
    config: { type: "string", short: "c" },
    "control-socket": { type: "string", short: "S" },
    "init-url": { type: "string", short: "b" },
    "log-format": { type: "string" },
    "log-split": { type: "boolean" },
    "print-permissions": { type: "boolean" },
    json: { type: "boolean" },
    pretty: { type: "boolean" },
  } as const;
  // Only the flags matter here: the command itself refuses what it does not take.
  let parsed;
  try {
    parsed = parseCommandArgs(args, options);
  } catch {
    return [];
  }
  const { values, positionals } = parsed;
  switch (command) {
    case "run": {
      const path = values.config;
      if (!path) return [];
      const preset = runPreset(
        path,
        await read(path),
        values["control-socket"],
        values["init-url"],
      );
      // No valid config and no -b: what it takes to say why.
      return preset?.flags ?? permissionFlags(needs({ read: [path] }));
    }
    case "ctl": {
      const sock = await socketOf(values["control-socket"], values.config);
      return [...socketFlags(sock), ...(values.config ? [`--allow-read=${values.config}`] : [])];
    }
    case "check-config":
      return positionals[0] ? [`--allow-read=${positionals[0]}`] : [];
    case "collect": {
      const loaded = values.config ? await read(values.config) : validateConfig({});
      if (!loaded.ok) return values.config ? [`--allow-read=${values.config}`] : [];
      const config = loaded.config;
      return permissionFlags(presetNeeds([
        collectNeeds(config),
        { flags: needs({ read: [values.config, config.mac ? undefined : config.mac_file] }) },
        agentNeeds(config, { configPath: values.config ?? "", controlSocket: null }).log,
      ]));
    }
    case "flags":
      // It reads the configs of the command lines it is asked about, and nothing else.
      return ["--allow-read"];
    default:
      return [];
  }
}

/**
 * `ledge flags COMMAND [ARGS]...`: prints the flags, one a line, for a launcher that splits
 * on newlines only (no value may hold one: `permissionFlags` refuses it).
 */
export async function printFlags(argv: string[], io: CliOutput): Promise<number> {
  if (argv[0] === "--") argv = argv.slice(1);
  if (argv.length === 0) throw new UsageError("flags takes the command line to give flags for");
  let flags;
  try {
    flags = await flagsFor(argv);
  } catch (error) {
    if (!(error instanceof UnsafePermissionError)) throw error;
    io.err(`error: ${error.message}`);
    return 2;
  }
  if (flags.length > 0) io.out(flags.join("\n"));
  return 0;
}
