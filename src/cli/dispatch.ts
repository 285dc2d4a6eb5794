/** The subcommands of the command line, and the dispatch to them. */
import { VERSION } from "../version.ts";
import { checkConfig } from "./check_config.ts";
import { collectSample } from "./collect.ts";
import { ctl } from "./ctl.ts";
import { printFlags } from "./flags.ts";
import { type CliOutput, terminal, UsageError } from "./output.ts";
import { runAgent } from "./run.ts";
import { USAGE } from "./usage.ts";

type Subcommand = (argv: string[], io: CliOutput) => Promise<number>;

const SUBCOMMANDS: Record<string, Subcommand> = {
  run: runAgent,
  ctl,
  collect: collectSample,
  "check-config": checkConfig,
  flags: printFlags,
  version: (_argv, io) => {
    io.out(
      `ledge ${VERSION} (deno ${Deno.version.deno}, v8 ${Deno.version.v8}, ${Deno.build.target})`,
    );
    return Promise.resolve(0);
  },
  help: ([topic = ""], io) => {
    const text = USAGE[topic];
    if (text === undefined) throw new UsageError(`no help for '${topic}'`);
    io.out(text);
    return Promise.resolve(0);
  },
};

/** Runs the command line and returns the exit code. User errors never show a stack trace. */
export async function runCli(argv: string[], io: CliOutput = terminal): Promise<number> {
  const [first = "help", ...rest] = argv;
  // SocketMan's `socketman --config=PATH -b URL` starts with a flag: it means `run`.
  const [name, args] = first.startsWith("-") && !["-h", "--help"].includes(first)
    ? ["run", argv]
    : [first, rest];
  const subcommand = ["-h", "--help"].includes(name) ? SUBCOMMANDS.help : SUBCOMMANDS[name];
  try {
    if (!subcommand) throw new UsageError(`unknown command '${name}'`);
    if (args.includes("--help") || args.includes("-h")) return await SUBCOMMANDS.help([name], io);
    return await subcommand(args, io);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`ledge: ${error.message} (see 'ledge help${name in USAGE ? ` ${name}` : ""}')`);
    return 2;
  }
}
