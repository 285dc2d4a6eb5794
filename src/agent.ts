/**
 * The agent: builds every capability of its spec list from the config and the injected
 * I/O, starts them in order, stops them in reverse, retries one that failed to start, and
 * on a new valid config restarts only the capabilities the change touches. Several agents
 * can live in one process (tests and fleet drills do): nothing here is global.
 */
import { type BoundedBackoff, boundedJitterDelay } from "./backoff.ts";
import type {
  AgentIo,
  Capability,
  CapabilityContext,
  CapabilitySpec,
  RestartKey,
} from "./capability.ts";
import { collectSpec } from "./collect/mod.ts";
import { desiredSpec } from "./desired/mod.ts";
import {
  type Config,
  CONFIG_KEYS,
  loadConfigFile,
  redactConfig,
  resolveMac,
  secretValues,
  type Validation,
} from "./config/mod.ts";
import {
  CommandError,
  CommandRegistry,
  type ControlLimits,
  ControlServer,
  required,
} from "./control/mod.ts";
import { Counters } from "./counters.ts";
import { healthSpec } from "./health/mod.ts";
import { denoExec, denoFs, denoNet, KernelFs, systemClock } from "./io/mod.ts";
import { jobsSpec } from "./jobs/mod.ts";
import { LOG_LEVELS, type Logger } from "./log/mod.ts";
import { mqttSpec } from "./mqtt/mod.ts";
import type { CapabilityName, PeerMap, Peers } from "./peers.ts";
import {
  type CapabilityNeeds,
  missingPermissions,
  type Needs,
  needs,
  permissionFlags,
  presetNeeds,
  type RunContext,
} from "./permissions.ts";
import { provisionNeeds } from "./provision/mod.ts";
import { repliesSpec } from "./replies/mod.ts";
import { spoolSpec } from "./spool/mod.ts";
import { upgradeSpec } from "./upgrade/mod.ts";
import { uplinkSpec } from "./uplink/mod.ts";
import { TRIM_COUNTERS, TRIM_ENV, trimMode, trimWhenIdle } from "./memory_trim.ts";
import { VERSION } from "./version.ts";
import * as z from "zod/mini";

/**
 * Every capability, in start order: the stats path first, the replies before the jobs
 * that send them, and MQTT last, so that jobs queued on the broker for our persistent
 * session find the jobs ready.
 */
export const CAPABILITIES: readonly CapabilitySpec[] = [
  spoolSpec,
  uplinkSpec,
  collectSpec,
  healthSpec,
  repliesSpec,
  upgradeSpec,
  jobsSpec,
  desiredSpec,
  mqttSpec,
];

/**
 * What the agent itself needs beside its capabilities: to read its config (and the MAC
 * file), the environment it looks at, the control socket, and with `-b` provisioning.
 */
export function agentNeeds(config: Config, run: RunContext): Record<string, CapabilityNeeds> {
  const sock = run.controlSocket;
  return {
    config: {
      flags: needs({
        read: [run.configPath, config.mac ? undefined : config.mac_file],
        // Deno refuses /sys and /proc: a MAC file there is read through cat.
        run: !config.mac && /^\/(sys|proc)\//.test(config.mac_file) ? ["cat"] : [],
      }),
    },
    log: { flags: needs({ env: ["DEBUG"] }) },
    // Its directories (cache_dir, state_dir, upgrade.dir's) must be its own: checked by uid.
    files: { flags: needs({ sys: ["uid"] }) },
    memory: { flags: needs({ env: [TRIM_ENV] }) },
    control: {
      // /etc/group names the gid of control_socket_group.
      flags: needs(
        sock
          ? {
            read: [sock, config.control_socket_group ? "/etc/group" : undefined],
            write: [sock],
            net: [`unix:${sock}`],
          }
          : {},
      ),
    },
    ...(run.initUrl ? { provision: provisionNeeds(run.initUrl, run.configPath) } : {}),
  };
}

/** The whole preset of a config: every flag the agent and its capabilities need. */
export function presetFor(
  config: Config,
  run: RunContext,
  specs: readonly CapabilitySpec[] = CAPABILITIES,
): Needs {
  return presetNeeds([
    ...Object.values(agentNeeds(config, run)),
    ...specs.filter((spec) => !spec.off?.(config)).map((spec) => spec.needs(config, run)),
  ]);
}

/** How an agent is made: its config, where it came from, and anything a test replaces. */
export interface AgentOptions {
  /** The validated config it starts with. */
  config: Config;
  /** The file it was read from; a reload reads it again. */
  configPath: string;
  /** Where its log lines go. */
  log: Logger;
  /** The I/O it does; the real clock, fs, exec and net for whatever is not given. */
  io?: Partial<AgentIo>;
  /** The control socket path; `null` turns it off (fleet simulations). Default: config's. */
  controlSocket?: string | null;
  /** `-b URL`: the config may be rewritten by provisioning from there. */
  initUrl?: string;
  /** Reads the config again on reload; default: the file at `configPath`. */
  loadConfig?: () => Promise<Validation>;
  /** Control socket limits (tests shorten the timeouts). */
  controlLimits?: Partial<ControlLimits>;
  /** Whether this process holds a permission; default: Deno's answer. */
  allowed?: (descriptor: Deno.PermissionDescriptor) => boolean;
}

/** The process's memory as V8 and the kernel see it, in KiB, for `status`. */
function memoryKb(): Record<string, number> {
  const { rss, heapTotal, heapUsed, external } = Deno.memoryUsage();
  const kb = (bytes: number) => Math.round(bytes / 1024);
  return {
    rss: kb(rss),
    heap_total: kb(heapTotal),
    heap_used: kb(heapUsed),
    external: kb(external),
  };
}

/** The agent cannot run as asked (the control socket is taken): `ledge run` exits 1. */
export class AgentStartError extends Error {}

/** The answer of a reload: what restarted and why not. */
export type ReloadResult =
  | { ok: true; warnings: string[]; restarted: string[] }
  | { ok: false; errors: string[] };

/** Where a capability that could not start is, for `status` and 503 answers. */
type Standing =
  | { state: "starting" | "running" }
  | { state: "off" | "disabled"; reason: string }
  | { state: "failed"; reason: string; attempts: number; retry: AbortController };

/** A capability that failed to start is tried again, later and later (5 s up to 5 min). */
const START_RETRY: BoundedBackoff = { baseMs: 5_000, maxMs: 300_000, jitter: 0.2 };

/** One ledge agent: every capability of its config, the control socket, reloads and stop. */
export class Agent {
  /** Counters of every capability, for `ctl counters`. */
  readonly counters = new Counters();
  /** The control commands of every capability. */
  readonly commands: CommandRegistry;
  /** The I/O every capability does. */
  readonly io: AgentIo;
  /** The root logger. */
  readonly log: Logger;
  /** Monotonic ms at which it was made. */
  readonly startedAt: number;
  /** The capabilities as they reach each other: always the instance running now. */
  readonly peers: Peers;
  /** Resolves once the agent has stopped (after SIGTERM, `terminate` or `stop()`). */
  readonly stopped: Promise<void>;

  #config: Config;
  #mac: string | undefined;
  readonly #ctx: CapabilityContext;
  readonly #specs: readonly CapabilitySpec[];
  #built = new Map<CapabilityName, Capability>();
  #standing = new Map<CapabilityName, Standing>();
  /** Started once before the others and stopped last: it survives reloads. */
  #control: ControlServer | undefined;
  #controlOff: string | undefined;
  #resolveStopped!: () => void;
  #stopping: Promise<void> | undefined;
  /** Reloads and retries change the capabilities one at a time. */
  #changes: Promise<unknown> = Promise.resolve();
  #trim = new AbortController();
  #trimming: Promise<void> | undefined;

  /** Builds nothing yet: `start()` builds and starts the capabilities of `specs`. */
  constructor(readonly options: AgentOptions, specs: readonly CapabilitySpec[] = CAPABILITIES) {
    this.#config = options.config;
    this.#specs = specs;
    this.log = options.log;
    this.io = {
      clock: options.io?.clock ?? systemClock,
      fs: options.io?.fs ?? denoFs,
      exec: options.io?.exec ?? denoExec,
      net: options.io?.net ?? denoNet,
    };
    this.startedAt = this.io.clock.monotonic();
    this.stopped = new Promise((resolve) => this.#resolveStopped = resolve);
    this.commands = new CommandRegistry({
      unavailable: (name) => this.#unavailable(name as CapabilityName),
      onInternalError: (command, error) =>
        this.log.child("control").error("command failed", { command, error }),
    });
    const built = this.#built;
    this.peers = {
      get: <K extends CapabilityName>(name: K) => built.get(name) as PeerMap[K] | undefined,
    };
    const live = { config: () => this.#config, mac: () => this.#mac };
    this.#ctx = {
      get config() {
        return live.config();
      },
      get mac() {
        return live.mac();
      },
      log: this.log,
      counters: this.counters,
      commands: this.commands,
      io: this.io,
      agentStartedAt: this.startedAt,
      preset: (config) => permissionFlags(presetFor(config, this.#run(), specs)),
      ...(options.configPath === "-"
        ? {}
        : { configFile: { path: options.configPath, reload: () => this.reload() } }),
    };
    this.#registerAgentCommands();
  }

  /** The config running now (the latest valid one). */
  get config(): Config {
    return this.#config;
  }

  /** The device MAC resolved from `mac` or `mac_file`, once started. */
  get mac(): string | undefined {
    return this.#mac;
  }

  /** Whether the capability `name` runs now. */
  isRunning(name: string): boolean {
    return this.#standing.get(name as CapabilityName)?.state === "running";
  }

  /**
   * Builds every capability (so that each command answers, 503 while its capability
   * starts), opens the control socket, then starts the capabilities. Throws
   * AgentStartError when the control socket cannot be had.
   */
  async start(): Promise<void> {
    this.log.core.setSecrets(secretValues(this.#config));
    this.#mac = await this.#resolveMac();
    for (const spec of this.#specs) this.#build(spec);
    await this.#startControl();
    for (const spec of this.#specs) await this.#start(spec);
    this.#startTrimming();
    this.log.info("agent started", {
      version: VERSION,
      running: this.#runningNames().join(",") || "none",
    });
  }

  /** The control socket path in use, or null when it is off. */
  get controlSocket(): string | null {
    return this.options.controlSocket === undefined
      ? this.#config.control_socket
      : this.options.controlSocket;
  }

  /** Stops every capability in reverse order; safe to call more than once. */
  stop(): Promise<void> {
    this.#stopping ??= this.#change(async () => {
      this.#trim.abort();
      await this.#trimming;
      for (const spec of [...this.#specs].reverse()) await this.#stopOne(spec, "shutdown");
      await this.#control?.stop().catch((error) =>
        this.log.error("control failed to stop cleanly", { error })
      );
      this.#control = undefined;
      this.log.info("agent stopped");
      this.#resolveStopped();
    });
    return this.#stopping;
  }

  /**
   * Reads the config again: a valid one replaces the running one, an invalid one is
   * refused. Only the capabilities whose keys, permissions or peers changed restart; the
   * others read the new values as they go.
   */
  reload(): Promise<ReloadResult> {
    return this.#change(async () => {
      const loaded = await (this.options.loadConfig?.() ??
        loadConfigFile(this.options.configPath, (p) => this.io.fs.readTextFile(p)));
      if (!loaded.ok) {
        this.log.error("reload refused, keeping the running config", {
          errors: loaded.errors.join("; "),
        });
        return { ok: false, errors: loaded.errors };
      }
      for (const warning of loaded.warnings) this.log.warn(`config: ${warning}`);
      const before = { config: this.#config, mac: this.#mac, needs: this.#needsOfAll() };
      const offBefore = this.#specs.map((spec) => spec.off?.(before.config));
      this.#config = loaded.config;
      this.log.core.setSecrets(secretValues(this.#config));
      this.#mac = await this.#resolveMac();
      if (this.controlSocket !== this.#control?.path && this.options.controlSocket === undefined) {
        this.log.warn("control_socket changes at the next start", { path: this.controlSocket });
      }
      const changed = changedKeys(before.config, this.#config);
      if (before.mac !== this.#mac) changed.add("mac");
      const needsNow = this.#needsOfAll();
      const touched = new Set<CapabilityName>();
      this.#specs.forEach((spec, i) => {
        const moved = spec.restartOn.some((key) => changed.has(key)) ||
          before.needs.get(spec.name) !== needsNow.get(spec.name) ||
          offBefore[i] !== spec.off?.(this.#config);
        if (moved) touched.add(spec.name);
      });
      for (const spec of this.#specs) {
        if (spec.uses?.some((name) => touched.has(name))) touched.add(spec.name);
      }
      const restarted = this.#specs.filter((spec) => touched.has(spec.name));
      for (const spec of [...restarted].reverse()) await this.#stopOne(spec, "reload");
      for (const spec of restarted) {
        this.#build(spec);
        await this.#start(spec);
      }
      const names = restarted.map((spec) => spec.name);
      this.log.info("config reloaded", { restarted: names.join(",") || "none" });
      return { ok: true, warnings: loaded.warnings, restarted: names };
    });
  }

  /** One line per capability for `status`. */
  states(): Record<string, string> {
    const states: Record<string, string> = {};
    if (this.#control) states.control = this.#control.state();
    else if (this.#controlOff) states.control = this.#controlOff;
    for (const spec of this.#specs) {
      const capability = this.#built.get(spec.name);
      states[spec.name] = this.isRunning(spec.name) && capability
        ? capability.state()
        : this.#unavailable(spec.name)?.replace(`${spec.name} `, "") ?? "stopped";
    }
    return states;
  }

  /** `mac`, else `mac_file` (a /sys file such as /sys/class/net/eth0/address read via cat). */
  #resolveMac(): Promise<string | undefined> {
    const files = new KernelFs(this.io.fs, this.io.exec);
    return resolveMac(this.#config, (p) => files.readTextFile(p));
  }

  #run(): RunContext {
    return {
      configPath: this.options.configPath,
      controlSocket: this.controlSocket,
      initUrl: this.options.initUrl,
    };
  }

  /** Each capability's needs for the running config, as comparable text. */
  #needsOfAll(): Map<CapabilityName, string> {
    return new Map(
      this.#specs.map((spec) => [spec.name, JSON.stringify(spec.needs(this.#config, this.#run()))]),
    );
  }

  /** Runs `work` after the changes already under way (reloads, retries, the stop). */
  #change<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#changes.then(work);
    this.#changes = next.catch(() => {});
    return next;
  }

  #build(spec: CapabilitySpec): void {
    this.#built.set(spec.name, spec.build(this.#ctx, this.peers));
    this.#standing.set(spec.name, { state: "starting" });
  }

  /** Why a capability's command cannot be answered now, or undefined when it can. */
  #unavailable(name: CapabilityName): string | undefined {
    const standing = this.#standing.get(name);
    if (!standing) return `${name} not running`;
    switch (standing.state) {
      case "running":
        return undefined;
      case "starting":
        return `${name} starting`;
      case "off":
        return `${name} off: ${standing.reason}`;
      case "disabled":
        return `${name} disabled: missing ${standing.reason}`;
      case "failed":
        return `${name} failed to start: ${standing.reason} (attempt ${standing.attempts}, retrying)`;
    }
  }

  #runningNames(): string[] {
    return [
      ...(this.#control ? ["control"] : []),
      ...this.#specs.filter((spec) => this.isRunning(spec.name)).map((spec) => spec.name),
    ];
  }

  #missing(needs: CapabilityNeeds): string[] {
    return missingPermissions(needs, this.options.allowed);
  }

  async #startControl(): Promise<void> {
    const path = this.controlSocket;
    if (path === null) return;
    const missing = this.#missing(agentNeeds(this.#config, this.#run()).control);
    if (missing.length > 0) {
      this.#controlOff = `disabled: missing ${missing.join(" ")}`;
      this.log.warn("control disabled: permission missing", { missing: missing.join(" ") });
      return;
    }
    const control = new ControlServer({
      path,
      group: this.#config.control_socket_group,
      log: this.log,
      counters: this.counters,
      commands: this.commands,
      limits: this.options.controlLimits,
    });
    try {
      await control.start();
    } catch (error) {
      throw new AgentStartError(`control socket ${path}: ${describe(error)}`);
    }
    this.#control = control;
  }

  /**
   * Starts a built capability unless it is off or lacks a permission; retries a failure.
   * `attempts` and `lastError` are those of the failures before, on a retry.
   */
  async #start(spec: CapabilitySpec, attempts = 0, lastError?: string): Promise<void> {
    const capability = this.#built.get(spec.name)!;
    const off = spec.off?.(this.#config);
    if (off) return void this.#standing.set(spec.name, { state: "off", reason: off });
    const missing = this.#missing(spec.needs(this.#config, this.#run()));
    if (missing.length > 0) {
      this.#standing.set(spec.name, { state: "disabled", reason: missing.join(" ") });
      this.log.warn(`${spec.name} disabled: permission missing`, { missing: missing.join(" ") });
      return;
    }
    try {
      await capability.start();
    } catch (error) {
      return this.#failed(spec, capability, describe(error), attempts + 1, lastError);
    }
    this.#standing.set(spec.name, { state: "running" });
    if (attempts > 0) this.log.info(`${spec.name} started`, { attempts: attempts + 1 });
    // What waited for this one (failed without it, or holding the old one) goes again.
    for (const user of this.#specs.filter((s) => s.uses?.includes(spec.name))) {
      const standing = this.#standing.get(user.name);
      if (standing?.state === "failed") standing.retry.abort();
    }
  }

  #failed(
    spec: CapabilitySpec,
    capability: Capability,
    reason: string,
    attempts: number,
    lastError: string | undefined,
  ): void {
    const retry = new AbortController();
    this.#standing.set(spec.name, { state: "failed", reason, attempts, retry });
    const delay = boundedJitterDelay(attempts - 1, START_RETRY, Math.random);
    // One error line per reason; the retries of the same failure only at debug.
    const fields = { error: reason, "retry-in-s": Math.round(delay / 1000) };
    if (reason === lastError) this.log.debug(`${spec.name} still failing to start`, fields);
    else this.log.error(`${spec.name} failed to start`, fields);
    // A half-started capability releases what it took before it is built again.
    capability.stop("shutdown").catch(() => {});
    // Aborting the wait retries at once (a peer it uses has started); a stop or reload has
    // removed the standing by then, and nothing is retried.
    this.io.clock.sleep(delay, retry.signal).catch(() => {}).then(() =>
      this.#change(async () => {
        const now = this.#standing.get(spec.name);
        if (this.#stopping || now?.state !== "failed" || now.retry !== retry) return;
        this.#build(spec);
        await this.#start(spec, attempts, reason);
      })
    );
  }

  /** Memory is given back in idle moments when Deno answers SIGUSR2 with a trim. */
  #startTrimming(): void {
    const log = this.log.child("memory");
    const mode = trimMode();
    if (!mode.on) {
      // Not a capability: without the variable SIGUSR2 would kill, so nothing is lost.
      log.debug("memory trim off", { reason: mode.reason });
      return;
    }
    this.counters.declare(...TRIM_COUNTERS);
    this.#trimming = trimWhenIdle({
      clock: this.io.clock,
      log,
      // A tool polling the control socket must not keep the agent from ever trimming.
      events: () => this.counters.events - this.counters.get("control-requests"),
      signal: () => Deno.kill(Deno.pid, "SIGUSR2"),
      counted: () => this.counters.inc("memory-trims"),
    }, this.#trim.signal).catch((error) => log.error("memory trim stopped", { error }));
  }

  async #stopOne(spec: CapabilitySpec, reason: "shutdown" | "reload"): Promise<void> {
    const standing = this.#standing.get(spec.name);
    this.#standing.delete(spec.name);
    if (standing?.state === "failed") standing.retry.abort();
    if (standing?.state !== "running") return;
    try {
      await this.#built.get(spec.name)?.stop(reason);
    } catch (error) {
      this.log.error(`${spec.name} failed to stop cleanly`, { error });
    }
  }

  #registerAgentCommands(): void {
    const commands = this.commands;
    commands.register({
      name: "status",
      description: "version, pid, uptime, config path and the state of each capability",
      payloadKey: "agent-status",
      run: () => ({
        version: VERSION,
        pid: Deno.pid,
        uptime: Math.round((this.io.clock.monotonic() - this.startedAt) / 1000),
        config: this.options.configPath,
        mac: this.#mac,
        memory: memoryKb(),
        ...this.states(),
      }),
    });
    commands.register({
      name: "counters",
      description: "monotonic counters of every capability",
      run: () => this.counters.snapshot(),
    });
    commands.register({
      name: "config",
      description: "the effective config, secrets shown as ***",
      run: () => redactConfig(this.#config),
    });
    commands.register({
      name: "reload",
      description: "re-read the config file; an invalid one is refused and the running one kept",
      run: async () => {
        const result = await this.reload();
        if (!result.ok) throw new CommandError(400, `config invalid: ${result.errors.join("; ")}`);
        return { warnings: result.warnings, restarted: result.restarted };
      },
    });
    commands.register({
      name: "log-level",
      description: "set the log level at run time",
      args: { level: required(z.enum(LOG_LEVELS), "debug, info, warn or error") },
      run: ({ level }) => {
        this.log.core.level = level;
        return { level };
      },
    });
    commands.register({
      name: "terminate",
      description: "shut down gracefully, as on SIGTERM",
      run: () => {
        // Answer first: the stop begins once this reply has been handed to the socket.
        setTimeout(() => void this.stop(), 0);
        return { terminating: true };
      },
    });
  }
}

/** The keys (and their values compared as JSON) that differ between two configs. */
function changedKeys(before: Config, after: Config): Set<RestartKey> {
  const value = (config: Config, key: string) =>
    JSON.stringify((config as unknown as Record<string, unknown>)[key]);
  return new Set(CONFIG_KEYS.filter((key) => value(before, key) !== value(after, key)));
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
