import { Agent, AgentStartError } from "../agent.ts";
import { DEFAULTS, loadConfigFile, resolveMac, type Validation } from "../config/mod.ts";
import { urlHostPort } from "../config/permissions.ts";
import { provision, readDeviceIdentity } from "../health/mod.ts";
import { denoNet, systemClock, writeFileAtomic } from "../io/mod.ts";
import { type LogFormat, type Logger, stderrLogger } from "../log/logger.ts";
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

  const initUrl = values["init-url"];
  if (initUrl !== undefined && !/^https?:\/\/[^/]/.test(initUrl)) {
    throw new UsageError(`--init-url: got '${initUrl}'; allowed: an http:// or https:// URL`);
  }

  let loaded = await loadConfigFile(configPath, (p) => Deno.readTextFile(p));
  if (!loaded.ok && !initUrl) {
    for (const warning of loaded.warnings) io.err(`warning: ${warning}`);
    for (const error of loaded.errors) io.err(`error: ${error}`);
    io.err(`${configPath}: config refused`);
    return 2;
  }
  const log = stderrLogger(format as LogFormat, debugRequested() ? "debug" : "info");
  let provisioner = initUrl ? await initProvisioner(initUrl, configPath, loaded, log) : undefined;
  if (!loaded.ok) {
    if (!provisioner) return 2;
    log.warn("no usable config: provisioning", {
      path: configPath,
      errors: loaded.errors.join("; "),
    });
    // Until a config arrives there is no agent: SIGTERM/SIGINT just end the wait.
    const stopWaiting = new AbortController();
    const abort = () => stopWaiting.abort();
    for (const signal of STOP_SIGNALS) Deno.addSignalListener(signal, abort);
    const provisioned = await provisioner(stopWaiting.signal).finally(() => {
      for (const signal of STOP_SIGNALS) Deno.removeSignalListener(signal, abort);
    });
    if (!provisioned) return 0;
    loaded = { ok: true, config: provisioned.config, warnings: [] };
    provisioner = undefined; // done for this start
  }
  const config = loaded.config;
  if (config.debug) log.core.level = "debug";
  log.debug("config loaded", { path: configPath });
  for (const warning of loaded.warnings) log.warn(`config: ${warning}`);

  const agent = new Agent({
    config,
    configPath,
    log,
    controlSocket: values["control-socket"],
    initUrl,
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
    if (provisioner) {
      // SocketMan provisions at every start: run on the valid config meanwhile, and
      // switch to the provisioned one (a reload) if it differs.
      const stopped = new AbortController();
      agent.stopped.then(() => stopped.abort());
      provisioner(stopped.signal).then((provisioned) => {
        if (provisioned?.changed) void agent.reload();
      });
    }
    await agent.stopped;
  } finally {
    for (const signal of STOP_SIGNALS) Deno.removeSignalListener(signal, stop);
    Deno.removeSignalListener("SIGHUP", reload);
    globalThis.removeEventListener("unhandledrejection", onRejection);
  }
  return 0;
}

/**
 * Provisioning from `-b URL`, or `undefined` (with the reason logged) when this process may
 * not reach the URL or write the config.
 */
async function initProvisioner(
  url: string,
  configPath: string,
  loaded: Validation,
  log: Logger,
) {
  const missing = [
    ...(granted({ name: "net", host: urlHostPort(url) })
      ? []
      : [`--allow-net=${urlHostPort(url)}`]),
    ...(granted({ name: "write", path: configPath }) ? [] : [`--allow-write=${configPath}`]),
  ];
  if (missing.length > 0) {
    log.error("provisioning (-b) disabled: permission missing", { missing: missing.join(" ") });
    return undefined;
  }
  const readText = (p: string) => Deno.readTextFile(p);
  const mac = await resolveMac(loaded.ok ? loaded.config : DEFAULTS, readText);
  const device = await readDeviceIdentity(readText, mac);
  /** Resolves with the accepted config and whether the file changed; undefined if stopped. */
  return async (signal: AbortSignal) => {
    let changed = false;
    const write = async (text: string) => {
      const current = await Deno.readTextFile(configPath).catch(() => undefined);
      if (current === text) return;
      await writeFileAtomic(configPath, text, 0o600);
      changed = true;
    };
    const deps = { fetch: denoNet.fetch, clock: systemClock, log, write };
    const provisioned = await provision(url, device, deps, signal);
    return provisioned && { ...provisioned, changed };
  };
}

function granted(descriptor: Deno.PermissionDescriptor): boolean {
  return Deno.permissions.querySync(descriptor).state === "granted";
}
