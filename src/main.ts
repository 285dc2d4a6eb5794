import { runCli } from "./cli/mod.ts";

if (import.meta.main) {
  try {
    Deno.exitCode = await runCli(Deno.args);
  } catch (error) {
    // A bug, not a user error: say so in one line; DEBUG=1 shows the stack.
    console.error(`ledge: fatal: ${error instanceof Error ? error.message : String(error)}`);
    Deno.exitCode = 1;
  }
}
