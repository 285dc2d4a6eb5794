import { Agent, AgentStartError } from "../agent.ts";
import { loadConfigFile } from "../config/mod.ts";
import { type LogFormat, stderrLogger } from "../log/logger.ts";
import { parseCommandArgs } from "./args.ts";
import { debugRequested } from "./env.ts";
import { type CliOutput, UsageError } from "./output.ts";

const STOP_SIGNALS = ["SIGTERM", "SIGINT"] as const;

/** `ledge run --config=PATH`: runs until SIGTERM/SIGINT or `terminate`; SIGHUP reloads. */
export async function runAgent(argv: string[], io: CliOutput): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, {
    config: { type: "string", short: "c" },
    "control-socket": { type: "string", short: "S" },
    "init-url": { type: "string", short: "b" },
    "log-format": { type: "string" },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  const configPath = values.config;
  if (!configPath) throw new UsageError("missing --config=PATH");
  const format = values["log-format"] ?? "text";
  if (format !== "text" && format !== "json") {
    throw new UsageError(`--log-format: got '${format}'; allowed: text or json`);
  }

  const loaded = await loadConfigFile(configPath, (p) => Deno.readTextFile(p));
  if (!loaded.ok) {
    for (const warning of loaded.warnings) io.err(`warning: ${warning}`);
    for (const error of loaded.errors) io.err(`error: ${error}`);
    if (values["init-url"]) io.err("provisioning (-b) is not available yet in this build");
    io.err(`${configPath}: config refused`);
    return 2;
  }
  const config = loaded.config;
  const log = stderrLogger(
    format as LogFormat,
    config.debug || debugRequested() ? "debug" : "info",
  );
  log.debug("config loaded", { path: configPath });
  for (const warning of loaded.warnings) log.warn(`config: ${warning}`);
  if (values["init-url"]) log.warn("provisioning (-b) is not available yet; using the config file");

  const agent = new Agent({
    config,
    configPath,
    log,
    controlSocket: values["control-socket"],
    provisioning: values["init-url"] !== undefined,
  });
  // Bad input must never kill the daemon: a stray rejection is logged, not fatal.
  const onRejection = (event: PromiseRejectionEvent) => {
    event.preventDefault();
    log.error("unhandled rejection", { error: event.reason });
  };
  globalThis.addEventListener("unhandledrejection", onRejection);
  const stop = () => void agent.stop();
  const reload = () => void agent.reload();
  for (const signal of STOP_SIGNALS) Deno.addSignalListener(signal, stop);
  Deno.addSignalListener("SIGHUP", reload);
  try {
    try {
      await agent.start();
    } catch (error) {
      if (!(error instanceof AgentStartError)) throw error;
      log.error(error.message);
      return 1;
    }
    await agent.stopped;
  } finally {
    for (const signal of STOP_SIGNALS) Deno.removeSignalListener(signal, stop);
    Deno.removeSignalListener("SIGHUP", reload);
    globalThis.removeEventListener("unhandledrejection", onRejection);
  }
  return 0;
}
