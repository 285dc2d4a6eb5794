/** Reading a config file: JSONC text → validated config, with errors that name the place. */
import { parse, type ParseError, printParseErrorCode } from "jsonc-parser";
import { validateConfig, type Validation } from "./validate.ts";
import type { Config } from "./schema.ts";
import { topicLevel } from "./values.ts";
import { flagFor } from "../permissions.ts";

/** Reads a file's text (`Deno.readTextFile`, or a fake in tests). */
export type ReadText = (path: string) => Promise<string>;

function position(text: string, offset: number): string {
  const before = text.slice(0, offset).split("\n");
  return `line ${before.length} column ${before[before.length - 1].length + 1}`;
}

/** The value of a JSONC text (comments, trailing commas), or where it is not JSON. */
export function parseJsonc(
  text: string,
): { ok: true; value: unknown } | { ok: false; errors: string[] } {
  const problems: ParseError[] = [];
  const value = parse(text, problems, { allowTrailingComma: true, disallowComments: false });
  if (problems.length === 0) return { ok: true, value };
  const errors = problems.map((p) =>
    `invalid JSON at ${position(text, p.offset)}: ${printParseErrorCode(p.error)}`
  );
  return { ok: false, errors };
}

/** Parses JSONC and validates it. */
export function parseConfigText(text: string): Validation {
  const parsed = parseJsonc(text);
  return parsed.ok
    ? validateConfig(parsed.value)
    : { ok: false, errors: parsed.errors, warnings: [] };
}

/** Reads and validates a config file; an unreadable file is an error like any other, never a throw. */
export async function loadConfigFile(path: string, readText: ReadText): Promise<Validation> {
  let text: string;
  try {
    text = await readText(path);
  } catch (error) {
    return { ok: false, errors: [`cannot read ${path}: ${describeFsError(error)}`], warnings: [] };
  }
  return parseConfigText(text);
}

/** Why a file could not be read, in a few words; a refused permission names the flag. */
export function describeFsError(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "no such file";
  const flag = flagFor(error);
  if (flag) return `permission denied (run with ${flag})`;
  if (error instanceof Deno.errors.PermissionDenied || error instanceof Deno.errors.NotCapable) {
    return "permission denied";
  }
  if (error instanceof Deno.errors.IsADirectory) return "is a directory";
  return error instanceof Error ? error.message : String(error);
}

/**
 * The device MAC: `mac` as written, else the first line of `mac_file` (SocketMan's /etc/mac)
 * when it can be a topic level (no `+`, `#`, `/` or NUL); else undefined, as when unreadable.
 */
export async function resolveMac(
  config: Pick<Config, "mac" | "mac_file">,
  readText: ReadText,
): Promise<string | undefined> {
  if (config.mac) return config.mac;
  try {
    const line = (await readText(config.mac_file)).trim().split("\n")[0];
    return topicLevel.safeParse(line).success ? line : undefined;
  } catch {
    return undefined;
  }
}
