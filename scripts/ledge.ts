/**
 * `deno task ledge COMMAND [ARGS]...`: ledge from source, each command under exactly the
 * flags it needs (`ledge flags`), not a newcomer's guess. Signals reach the agent; its exit
 * code is this one's.
 */
import { flagsFor } from "../src/cli/flags.ts";

const MAIN = new URL("../src/main.ts", import.meta.url).pathname;
const FORWARDED = ["SIGTERM", "SIGINT", "SIGHUP"] as const;

const flags = await flagsFor(Deno.args);
const child = new Deno.Command("deno", {
  args: ["run", "--quiet", "--no-prompt", ...flags, MAIN, ...Deno.args],
  stdin: "inherit",
  stdout: "inherit",
  stderr: "inherit",
}).spawn();
const forward = (signal: Deno.Signal) => () => child.kill(signal);
const listeners = FORWARDED.map((signal) => [signal, forward(signal)] as const);
for (const [signal, listener] of listeners) Deno.addSignalListener(signal, listener);
const { code } = await child.status;
for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener);
Deno.exit(code);
