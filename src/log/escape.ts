/**
 * Text from jobs, ids and outputs is the network's: its control characters (ESC, NUL, a
 * newline that would forge a second log line, C1 codes a terminal obeys, and the Unicode
 * line and paragraph separators a log viewer breaks lines at) are written escaped, never
 * raw, in log lines and in `ledge ctl`'s output.
 */

// C0 controls, DEL, the C1 controls, U+2028 and U+2029.
// deno-lint-ignore no-control-regex
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

const escapeOne = (c: string) => {
  const code = c.charCodeAt(0);
  return code > 0xff ? `\\u${code.toString(16)}` : `\\x${code.toString(16).padStart(2, "0")}`;
};

/**
 * The text with every control character written as `\xNN`.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(escapeControls("ok\x1b[2Jdone\n"), "ok\\x1b[2Jdone\\x0a");
 * ```
 */
export function escapeControls(text: string): string {
  return text.replace(CONTROLS, escapeOne);
}

/**
 * JSON whose strings hold no raw DEL, C1 character, U+2028 or U+2029 (JSON.stringify
 * escapes only C0).
 */
export function safeJson(value: unknown, space?: number): string {
  return JSON.stringify(value, null, space).replace(
    /[\u007f-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
