import { parseArgs, type ParseArgsConfig } from "node:util";
import { UsageError } from "./output.ts";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** parseArgs with our error style: an unknown flag is a UsageError naming it. */
export function parseCommandArgs<O extends Options>(argv: string[], options: O) {
  try {
    return parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (error) {
    const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new UsageError(message.replace(/\. To specify a positional argument.*$/, ""));
  }
}
