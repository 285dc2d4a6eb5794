/** `ledge ctl`: one control request to a running agent, its answer printed. */
import * as z from "zod/mini";
import { loadConfigFile } from "../config/mod.ts";
import { ControlClientError, controlRequest } from "../control/mod.ts";
import { parseCommandArgs } from "./args.ts";
import { envGet } from "./env.ts";
import { type CliOutput, terminal, UsageError } from "./output.ts";
import { pythonValue } from "./python_value.ts";
import { escapeControls } from "../log/mod.ts";
import { formatReply } from "./reply_format.ts";

export const DEFAULT_SOCKET = "/var/run/ledge.sock";

const reply = z.looseObject({
  status: z.enum(["ok", "warning", "error"]),
  code: z.number(),
  message: z.optional(z.string()),
});

/** The request of `COMMAND [KEY VALUE]...`; `help` asks for the agent's commands. */
export function buildRequest(words: string[]): Record<string, unknown> {
  const [command, ...pairs] = words;
  if (!command) throw new UsageError("missing COMMAND");
  if (pairs.length % 2 === 1) throw new UsageError(`argument '${pairs.at(-1)}' has no value`);
  const args: Record<string, unknown> = {};
  for (let i = 0; i < pairs.length; i += 2) args[pairs[i]] = pythonValue(pairs[i + 1]);
  return {
    command: command === "help" ? "commands" : command,
    ...(pairs.length > 0 ? { arguments: args } : {}),
  };
}

export async function ctl(argv: string[], io: CliOutput): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    "control-socket": { type: "string", short: "S" },
    config: { type: "string", short: "c" },
    json: { type: "boolean" },
  });
  const request = buildRequest(positionals);
  let path = values["control-socket"] ?? DEFAULT_SOCKET;
  if (!values["control-socket"] && values.config) {
    const loaded = await loadConfigFile(values.config, (p) => Deno.readTextFile(p));
    if (!loaded.ok) {
      for (const error of loaded.errors) io.err(`error: ${error}`);
      io.err(`${values.config}: config refused`);
      return 2;
    }
    path = loaded.config.control_socket;
  }

  let text: string;
  try {
    text = await controlRequest(path, JSON.stringify(request));
  } catch (error) {
    if (!(error instanceof ControlClientError)) throw error;
    io.err(`ledge ctl: ${error.message}`);
    return 1;
  }
  let parsed: z.infer<typeof reply>;
  try {
    parsed = reply.parse(JSON.parse(text));
  } catch {
    io.err(`ledge ctl: the answer on ${path} is not a control reply`);
    return 1;
  }
  if (values.json) io.out(text.trimEnd());
  else if (parsed.status === "ok") io.out(formatReply(parsed, colourWanted(io)));
  else io.err(`${parsed.status} ${parsed.code}: ${escapeControls(parsed.message ?? "no message")}`);
  return parsed.status === "ok" ? 0 : 1;
}

function colourWanted(io: CliOutput): boolean {
  return io === terminal && Deno.stdout.isTerminal() && envGet("NO_COLOR") === undefined;
}
