import { runCli } from "./cli/mod.ts";
import { flagFor } from "./permissions.ts";

if (import.meta.main) {
  try {
    Deno.exitCode = await runCli(Deno.args);
  } catch (error) {
    // A permission this run was not given: name the flag. Else a bug: say so in one line.
    const flag = flagFor(error);
    const message = error instanceof Error ? error.message : String(error);
    console.error(flag ? `ledge: permission denied: run with ${flag}` : `ledge: fatal: ${message}`);
    Deno.exitCode = 1;
  }
}
