/**
 * The command line's flags: `--name=value`, `--name value`, `-n value`, boolean `--name`,
 * and `--` before positionals. Ours rather than node:util's parseArgs: loading Node
 * compatibility for it would cost the agent a megabyte of memory.
 */
import { UsageError } from "./output.ts";

/** One flag: a string that takes a value, or a boolean that does not. */
export interface FlagSpec {
  type: "string" | "boolean";
  /** A one-letter alias (`-S`). */
  short?: string;
}

/** The values of the flags given, by long name. */
export type FlagValues<O extends Record<string, FlagSpec>> = {
  [K in keyof O]?: O[K]["type"] extends "string" ? string : boolean;
};

/** Parses `argv`; an unknown flag or a missing value is a UsageError naming it. */
export function parseCommandArgs<O extends Record<string, FlagSpec>>(
  argv: string[],
  options: O,
): { values: FlagValues<O>; positionals: string[] } {
  const values: Record<string, string | boolean> = {};
  const positionals: string[] = [];
  const byShort = new Map(
    Object.entries(options).flatMap(([name, spec]) => spec.short ? [[spec.short, name]] : []),
  );
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    const long = arg.startsWith("--");
    const [flag, inline] = long
      ? splitOnce(arg.slice(2))
      : [arg.slice(1, 2), arg.slice(2) || undefined];
    const name = long ? flag : byShort.get(flag);
    const spec = name === undefined ? undefined : options[name];
    if (!spec || !Object.hasOwn(options, name!)) throw new UsageError(`Unknown option '${arg}'`);
    if (spec.type === "boolean") {
      if (inline !== undefined) throw new UsageError(`Option '--${name}' does not take a value`);
      values[name!] = true;
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`Option '--${name}' needs a value`);
    values[name!] = value;
  }
  return { values: values as FlagValues<O>, positionals };
}

function splitOnce(text: string): [string, string | undefined] {
  const at = text.indexOf("=");
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}
