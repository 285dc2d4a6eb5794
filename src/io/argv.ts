import type { Result } from "../result.ts";

/**
 * Splits a command line into argv without a shell (`jobs.allow` mode, `recovery_cmd`,
 * `reboot_cmd`): single and double quotes and backslash escapes group words; `;`, `|`,
 * `$(...)`, `>` and globs are ordinary characters, passed to the program as they are.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseArgv(`/etc/init.d/network 'restart now'`), {
 *   ok: true,
 *   value: ["/etc/init.d/network", "restart now"],
 * });
 * ```
 */
export function parseArgv(command: string): Result<string[]> {
  const argv: string[] = [];
  let word = "";
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < command.length; i++) {
    const c = command[i];
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === "\\" && (command[i + 1] === '"' || command[i + 1] === "\\")) {
        word += command[++i];
      } else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === "\\") {
      if (i + 1 >= command.length) return { ok: false, reason: "trailing backslash" };
      word += command[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) argv.push(word);
      word = "";
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) return { ok: false, reason: "unterminated quote" };
  if (inWord) argv.push(word);
  if (argv.length === 0) return { ok: false, reason: "empty command" };
  return { ok: true, value: argv };
}
