/**
 * The agent: a supervisor per capability of its wiring, started in order and stopped in
 * reverse, the control socket, and reloads that restart only what a new valid config
 * touches (reload_plan.ts). Several agents can live in one process (tests and fleet drills
 * do): nothing here is global.
 */
import type { AgentIo, CapabilityContext, CapabilityName, RestartKey } from "../capability.ts";
import {
  type Config,
  CONFIG_KEYS,
  loadConfigFile,
  resolveMac,
  secretValues,
  type Validation,
} from "../config/mod.ts";
import { CommandRegistry, type ControlLimits, ControlServer } from "../control/mod.ts";
import { Counters } from "../counters.ts";
import { denoExec, denoFs, denoNet, KernelFs, systemClock } from "../io/mod.ts";
import type { Logger } from "../log/mod.ts";
import { TRIM_COUNTERS, trimMode, trimWhenIdle } from "../memory_trim.ts";
import { missingPermissions, permissionFlags, type RunContext } from "../permissions.ts";
import { VERSION } from "../version.ts";
import { registerAgentCommands } from "./commands.ts";
import { agentNeeds, presetFor } from "./preset.ts";
import { planReload } from "./reload_plan.ts";
import { Supervisor } from "./supervisor.ts";
import { CAPABILITIES, type Live, type Running, type Wired } from "./wiring.ts";

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
  /** Asks the init server for the config again (a token the API refused); with `initUrl`. */
  reprovision?: () => void;
  /** Reads the config again on reload; default: the file at `configPath`. */
  loadConfig?: () => Promise<Validation>;
  /** Control socket limits (tests shorten the timeouts). */
  controlLimits?: Partial<ControlLimits>;
  /** Whether this process holds a permission; default: Deno's answer. */
  allowed?: (descriptor: Deno.PermissionDescriptor) => boolean;
}

/** The agent cannot run as asked (the control socket is taken): `ledge run` exits 1. */
export class AgentStartError extends Error {}

/** The answer of a reload: what restarted and why not. */
export type ReloadResult =
  | { ok: true; warnings: string[]; restarted: string[] }
  | { ok: false; errors: string[] };

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
  /** The capabilities as they run now: the one built for the running config. */
  readonly live: Live;
  /** Resolves once the agent has stopped (after SIGTERM, `terminate` or `stop()`). */
  readonly stopped: Promise<void>;

  #config: Config;
  #mac: string | undefined;
  readonly #supervisors: Supervisor[];
  /** Started once before the others and stopped last: it survives reloads. */
  #control: ControlServer | undefined;
  #controlOff: string | undefined;
  #resolveStopped!: () => void;
  #stopping: Promise<void> | undefined;
  /** Reloads and retries change the capabilities one at a time. */
  #changes: Promise<unknown> = Promise.resolve();
  #trim = new AbortController();
  #trimming: Promise<void> | undefined;

  /** Builds nothing yet: `start()` builds and starts the capabilities of `wiring`. */
  constructor(readonly options: AgentOptions, wiring: readonly Wired[] = CAPABILITIES) {
    this.#config = options.config;
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
      unavailable: (name) => this.#supervisor(name as CapabilityName)?.unavailable(),
      onInternalError: (command, error) =>
        this.log.child("control").error("command failed", { command, error }),
    });
    this.live = {
      get: <K extends CapabilityName>(name: K) =>
        this.#supervisor(name)?.capability as Running[K] | undefined,
    };
    const host = {
      ctx: this.#context(wiring),
      live: this.live,
      run: () => this.#run(),
      allowed: options.allowed,
      clock: this.io.clock,
      log: this.log,
      change: (work: () => Promise<void>) => this.#change(work),
      stopping: () => this.#stopping !== undefined,
      started: (name: CapabilityName) => {
        for (const user of this.#supervisors) {
          if (user.wired.spec.uses?.includes(name)) user.retryNow();
        }
      },
    };
    this.#supervisors = wiring.map((wired) => new Supervisor(wired, host));
    registerAgentCommands(this.commands, {
      counters: this.counters,
      log: this.log,
      get config() {
        return host.ctx.config;
      },
      get mac() {
        return host.ctx.mac;
      },
      configPath: options.configPath,
      uptime: () => Math.round((this.io.clock.monotonic() - this.startedAt) / 1000),
      states: () => this.states(),
      reload: () => this.reload(),
      stop: () => this.stop(),
    });
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
    return this.#supervisor(name as CapabilityName)?.running ?? false;
  }

  /**
   * Builds every capability (so that each command answers, 503 while its capability
   * starts), opens the control socket, then starts the capabilities. Throws
   * AgentStartError when the control socket cannot be had.
   */
  async start(): Promise<void> {
    this.log.core.setSecrets(secretValues(this.#config));
    this.#mac = await this.#resolveMac();
    for (const supervisor of this.#supervisors) supervisor.build();
    await this.#startControl();
    for (const supervisor of this.#supervisors) await supervisor.start();
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
      for (const supervisor of [...this.#supervisors].reverse()) await supervisor.stop("shutdown");
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
      const before = this.#supervisors.map((s) => ({ needs: s.needsText(), off: s.off() }));
      const [config, mac] = [this.#config, this.#mac];
      this.#config = loaded.config;
      this.log.core.setSecrets(secretValues(this.#config));
      this.#mac = await this.#resolveMac();
      if (this.controlSocket !== this.#control?.path && this.options.controlSocket === undefined) {
        this.log.warn("control_socket changes at the next start", { path: this.controlSocket });
      }
      const changed = changedKeys(config, this.#config);
      if (mac !== this.#mac) changed.add("mac");
      const restart = planReload(
        this.#supervisors.map((s, i) => ({
          name: s.name,
          restartOn: s.wired.spec.restartOn,
          uses: s.wired.spec.uses,
          needs: [before[i].needs, s.needsText()],
          off: [before[i].off, s.off()],
        })),
        changed,
      );
      const restarted = this.#supervisors.filter((s) => restart.includes(s.name));
      for (const supervisor of [...restarted].reverse()) await supervisor.stop("reload");
      for (const supervisor of restarted) {
        supervisor.build();
        await supervisor.start();
      }
      this.log.info("config reloaded", { restarted: restart.join(",") || "none" });
      return { ok: true, warnings: loaded.warnings, restarted: restart };
    });
  }

  /** One line per capability for `status`. */
  states(): Record<string, string> {
    const states: Record<string, string> = {};
    if (this.#control) states.control = this.#control.state();
    else if (this.#controlOff) states.control = this.#controlOff;
    for (const supervisor of this.#supervisors) states[supervisor.name] = supervisor.state();
    return states;
  }

  /** What every capability is built from; `config` and `mac` are read live. */
  #context(wiring: readonly Wired[]): CapabilityContext {
    const now = { config: () => this.#config, mac: () => this.#mac };
    const specs = wiring.map((wired) => wired.spec);
    return {
      get config() {
        return now.config();
      },
      get mac() {
        return now.mac();
      },
      log: this.log,
      counters: this.counters,
      commands: this.commands,
      io: this.io,
      agentStartedAt: this.startedAt,
      preset: (config) => permissionFlags(presetFor(config, this.#run(), specs)),
      ...(this.options.configPath === "-" ? {} : {
        configFile: {
          path: this.options.configPath,
          reload: () => this.reload(),
          reprovision: this.options.reprovision,
        },
      }),
    };
  }

  #supervisor(name: CapabilityName): Supervisor | undefined {
    return this.#supervisors.find((supervisor) => supervisor.name === name);
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

  /** Runs `work` after the changes already under way (reloads, retries, the stop). */
  #change<T>(work: () => Promise<T>): Promise<T> {
    const next = this.#changes.then(work);
    this.#changes = next.catch(() => {});
    return next;
  }

  #runningNames(): string[] {
    return [
      ...(this.#control ? ["control"] : []),
      ...this.#supervisors.filter((s) => s.running).map((s) => s.name),
    ];
  }

  async #startControl(): Promise<void> {
    const path = this.controlSocket;
    if (path === null) return;
    const needs = agentNeeds(this.#config, this.#run()).control;
    const missing = missingPermissions(needs, this.options.allowed);
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
      const reason = error instanceof Error ? error.message : String(error);
      throw new AgentStartError(`control socket ${path}: ${reason}`);
    }
    this.#control = control;
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
}

/** The keys (and their values compared as JSON) that differ between two configs. */
function changedKeys(before: Config, after: Config): Set<RestartKey> {
  const value = (config: Config, key: string) =>
    JSON.stringify((config as unknown as Record<string, unknown>)[key]);
  return new Set(CONFIG_KEYS.filter((key) => value(before, key) !== value(after, key)));
}
