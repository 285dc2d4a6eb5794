/** Where a command's output goes: the terminal, or buffers in tests. */
export interface CliOutput {
  /** Writes a line to stdout. */
  out(text: string): void;
  /** Writes a line to stderr. */
  err(text: string): void;
}

const encoder = new TextEncoder();
export const terminal: CliOutput = {
  out: (text) => Deno.stdout.writeSync(encoder.encode(text.endsWith("\n") ? text : text + "\n")),
  err: (text) => Deno.stderr.writeSync(encoder.encode(text.endsWith("\n") ? text : text + "\n")),
};

/** A user error: one clear line on stderr and exit 2, never a stack trace. */
export class UsageError extends Error {}
