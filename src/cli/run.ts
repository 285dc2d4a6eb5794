import { Agent, AgentStartError, presetFor } from "../agent/mod.ts";
import {
  type Config,
  DEFAULTS,
  loadConfigFile,
  resolveMac,
  type Validation,
} from "../config/mod.ts";
import { denoNet, systemClock, writeFileAtomic } from "../io/mod.ts";
import { type LogFormat, type Logger, stderrLogger } from "../log/mod.ts";
import { missingPermissions } from "../permissions.ts";
import { provision, provisionNeeds, readDeviceIdentity } from "../provision/mod.ts";
import { parseCommandArgs } from "./args.ts";
import { debugRequested } from "./env.ts";
import { type CliOutput, UsageError } from "./output.ts";

const STOP_SIGNALS = ["SIGTERM", "SIGINT"] as const;

/**
 * Exit code after provisioning a first config whose permissions this process was not
 * started with: the service manager starts the agent again, with that config's preset.
 */
export const EXIT_RESTART = 3;

interface RunArgs {
  configPath: string;
  controlSocket?: string;
  initUrl?: string;
  format: LogFormat;
  /** Debug and info lines on stdout, warn and error on stderr (procd's two log levels). */
  logSplit: boolean;
}

function parseRunArgs(argv: string[]): RunArgs {
  const { values, positionals } = parseCommandArgs(argv, {
    config: { type: "string", short: "c" },
    "control-socket": { type: "string", short: "S" },
    "init-url": { type: "string", short: "b" },
    "log-format": { type: "string" },
    "log-split": { type: "boolean" },
  });
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
  if (!values.config) throw new UsageError("missing --config=PATH");
  const format = values["log-format"] ?? "text";
  if (format !== "text" && format !== "json") {
    throw new UsageError(`--log-format: got '${format}'; allowed: text or json`);
  }
  const initUrl = values["init-url"];
  if (initUrl !== undefined && !/^https?:\/\/[^/]/.test(initUrl)) {
    throw new UsageError(`--init-url: got '${initUrl}'; allowed: an http:// or https:// URL`);
  }
  return {
    configPath: values.config,
    controlSocket: values["control-socket"],
    initUrl,
    format,
    logSplit: values["log-split"] === true,
  };
}

/** `ledge run --config=PATH`: runs until SIGTERM/SIGINT or `terminate`; SIGHUP reloads. */
export async function runAgent(argv: string[], io: CliOutput): Promise<number> {
  const args = parseRunArgs(argv);
  const loaded = await loadConfigFile(args.configPath, (p) => Deno.readTextFile(p));
  if (!loaded.ok && !args.initUrl) {
    for (const warning of loaded.warnings) io.err(`warning: ${warning}`);
    for (const error of loaded.errors) io.err(`error: ${error}`);
    io.err(`${args.configPath}: config refused`);
    return 2;
  }
  const log = stderrLogger(args.format, debugRequested() ? "debug" : "info", args.logSplit);
  const provisioner = args.initUrl
    ? await initProvisioner(args.initUrl, args.configPath, loaded, log)
    : undefined;
  if (loaded.ok) return await runWith(loaded.config, loaded.warnings, args, log, provisioner);
  if (!provisioner) return 2;
  log.warn("no usable config: provisioning", {
    path: args.configPath,
    errors: loaded.errors.join("; "),
  });
  const provisioned = await untilStopped((signal) => provisioner(signal));
  if (!provisioned) return 0;
  const preset = presetFor(provisioned.config, {
    configPath: args.configPath,
    controlSocket: args.controlSocket ?? provisioned.config.control_socket,
    initUrl: args.initUrl,
  });
  const missing = missingPermissions({ flags: preset });
  if (missing.length > 0) {
    log.info("config provisioned; restarting with its permissions", {
      missing: missing.join(" "),
      exit: EXIT_RESTART,
    });
    return EXIT_RESTART;
  }
  return await runWith(provisioned.config, [], args, log, undefined);
}

/** Until a config arrives there is no agent: SIGTERM/SIGINT just end the wait. */
async function untilStopped<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const stopWaiting = new AbortController();
  const abort = () => stopWaiting.abort();
  for (const signal of STOP_SIGNALS) Deno.addSignalListener(signal, abort);
  try {
    return await work(stopWaiting.signal);
  } finally {
    for (const signal of STOP_SIGNALS) Deno.removeSignalListener(signal, abort);
  }
}

/** Runs the agent on a valid config until it stops; provisions in the background. */
async function runWith(
  config: Config,
  warnings: string[],
  args: RunArgs,
  log: Logger,
  provisioner: Provisioner | undefined,
): Promise<number> {
  if (config.debug) log.core.level = "debug";
  log.debug("config loaded", { path: args.configPath });
  for (const warning of warnings) log.warn(`config: ${warning}`);
  const stopped = new AbortController();
  const agent: Agent = new Agent({
    config,
    configPath: args.configPath,
    log,
    controlSocket: args.controlSocket,
    initUrl: args.initUrl,
    reprovision: provisioner &&
      reprovisioner(provisioner, () => agent.reload(), stopped.signal, log),
  });
  agent.stopped.then(() => stopped.abort());
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
    // With a valid config the init server is not asked at start (as SocketMan): only when
    // the API refuses the token (reprovisioner).
    await agent.stopped;
  } finally {
    for (const signal of STOP_SIGNALS) Deno.removeSignalListener(signal, stop);
    Deno.removeSignalListener("SIGHUP", reload);
    globalThis.removeEventListener("unhandledrejection", onRejection);
  }
  return 0;
}

/** SocketMan asked its init server at every 401; here at most once in this long. */
export const REPROVISION_EVERY_MS = 10 * 60_000;

/**
 * Asks the init server again when the API refuses the token (rotated on the server): at
 * most once per REPROVISION_EVERY_MS, one at a time; a changed config is reloaded. The
 * cached samples stay where they are: the uploads go on with the new token.
 */
export function reprovisioner(
  provisioner: Provisioner,
  reload: () => Promise<unknown>,
  signal: AbortSignal,
  log: Logger,
): () => void {
  let last = -Infinity;
  let asking = false;
  return () => {
    const now = performance.now();
    if (asking || now - last < REPROVISION_EVERY_MS) return;
    [last, asking] = [now, true];
    log.warn("token refused: asking the init server (-b) for the config again");
    provisioner(signal).then(async (provisioned) => {
      if (provisioned?.changed) await reload();
      else if (provisioned) log.warn("the init server gave the same config: token still refused");
    }).catch((error) => log.error("re-provisioning failed", { error }))
      .finally(() => asking = false);
  };
}

/** Resolves with the accepted config and whether the file changed; undefined if stopped. */
export type Provisioner = (
  signal: AbortSignal,
) => Promise<{ config: Config; changed: boolean } | undefined>;

/**
 * Provisioning from `-b URL`, or `undefined` (with the reason logged) when this process may
 * not reach the URL or write the config.
 */
async function initProvisioner(
  url: string,
  configPath: string,
  loaded: Validation,
  log: Logger,
): Promise<Provisioner | undefined> {
  const local = loaded.ok ? loaded.config : undefined;
  const missing = missingPermissions(provisionNeeds(url, configPath));
  if (missing.length > 0) {
    log.error("provisioning (-b) disabled: permission missing", { missing: missing.join(" ") });
    return undefined;
  }
  const readText = (p: string) => Deno.readTextFile(p);
  const mac = await resolveMac(local ?? DEFAULTS, readText);
  const device = await readDeviceIdentity(readText, mac);
  return async (signal) => {
    let changed = false;
    const write = async (text: string) => {
      const current = await Deno.readTextFile(configPath).catch(() => undefined);
      if (current === text) return;
      await writeFileAtomic(configPath, text, 0o600);
      changed = true;
    };
    const deps = { fetch: denoNet.fetch, clock: systemClock, log, write, local };
    const provisioned = await provision(url, device, deps, signal);
    return provisioned && { config: provisioned.config, changed };
  };
}
