import { CollectCapability, LastSampleSink } from "../collect/mod.ts";
import { KernelFs } from "../io/mod.ts";
import { loadConfigFile, resolveMac, validateConfig } from "../config/mod.ts";
import { CommandRegistry } from "../control/mod.ts";
import { Counters } from "../counters.ts";
import { denoExec, denoFs, denoNet, systemClock } from "../io/mod.ts";
import { stderrLogger } from "../log/mod.ts";
import { parseCommandArgs } from "./args.ts";
import { debugRequested } from "./env.ts";
import { type CliOutput, UsageError } from "./output.ts";

/**
 * `ledge collect [--config=PATH] [--pretty]`: one sample on stdout, the shape that is
 * uploaded. Without a config the defaults apply, so it works on a box not yet provisioned.
 */
export async function collectSample(argv: string[], io: CliOutput): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    config: { type: "string", short: "c" },
    pretty: { type: "boolean" },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const loaded = values.config
    ? await loadConfigFile(values.config, (p) => Deno.readTextFile(p))
    : validateConfig({});
  if (!loaded.ok) {
    for (const error of loaded.errors) io.err(`error: ${error}`);
    io.err(`${values.config}: config refused`);
    return 2;
  }
  const config = loaded.config;
  // Sources that are absent are expected here (no wireless on a PC): only warnings show.
  const log = stderrLogger("text", config.debug || debugRequested() ? "debug" : "warn");
  const collector = new CollectCapability({
    config,
    mac: await resolveMac(config, (p) => new KernelFs(denoFs, denoExec).readTextFile(p)),
    log,
    counters: new Counters(),
    commands: new CommandRegistry(),
    io: { clock: systemClock, fs: denoFs, exec: denoExec, net: denoNet },
  }, new LastSampleSink());
  const { sample, read } = await collector.collect();
  io.out(JSON.stringify(sample, null, values.pretty ? 2 : undefined));
  return read > 0 ? 0 : 1;
}
