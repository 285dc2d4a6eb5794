/**
 * The agent: builds every capability from the config and the injected I/O, starts them in
 * order, stops them in reverse, and reloads them on a new valid config. Several agents can
 * live in one process (tests and fleet drills do): nothing here is global.
 */
import type { AgentIo, Capability, CapabilityContext } from "./capability.ts";
import {
  type CapabilityName,
  capabilityNeeds,
  type Config,
  loadConfigFile,
  missingPermissions,
  mqttEnabled,
  redactConfig,
  resolveMac,
  secretValues,
  type Validation,
} from "./config/mod.ts";
import { Collector } from "./collect/mod.ts";
import { CommandError, CommandRegistry, required } from "./control/registry.ts";
import { type ControlLimits, ControlServer } from "./control/server.ts";
import { Counters } from "./counters.ts";
import { HealthCapability } from "./health/mod.ts";
import { denoExec, denoFs, denoNet, systemClock } from "./io/mod.ts";
import { JobService } from "./jobs/mod.ts";
import { MqttCapability, ReplyService } from "./mqtt/mod.ts";
import { LOG_LEVELS, type Logger } from "./log/logger.ts";
import { buildStatsPipeline } from "./uplink/mod.ts";
import { VERSION } from "./version.ts";
import * as z from "zod/mini";

export interface AgentOptions {
  config: Config;
  configPath: string;
  log: Logger;
  io?: Partial<AgentIo>;
  /** The control socket path; `null` turns it off (fleet simulations). Default: config's. */
  controlSocket?: string | null;
  /** `-b URL`: the config may be rewritten by provisioning from there. */
  initUrl?: string;
  /** Reads the config again on reload; default: the file at `configPath`. */
  loadConfig?: () => Promise<Validation>;
  /** Control socket limits (tests shorten the timeouts). */
  controlLimits?: Partial<ControlLimits>;
}

/** The agent cannot run as asked (the control socket is taken): `ledge run` exits 1. */
export class AgentStartError extends Error {}

/** Builds the capabilities of one config, in start order. */
export type CapabilityFactory = (ctx: CapabilityContext) => Capability[];

/** The real wiring: each capability gets what it needs from the others, in start order. */
export function buildCapabilities(ctx: CapabilityContext): Capability[] {
  // The collector pushes into the spool (with `no-cache`, straight to the uplink).
  const stats = buildStatsPipeline(ctx);
  // Replies outlive both the session and the jobs: started before them, stopped after.
  const replies = new ReplyService(ctx);
  const mqtt = mqttEnabled(ctx.config)
    ? new MqttCapability(ctx, replies, (payload): Promise<void> => jobs.receive(payload))
    : undefined;
  const health = new HealthCapability(ctx, {
    mqttConnected: mqtt ? () => mqtt.connected : undefined,
    // Samples batched in memory reach the disk before the box goes down.
    beforeReboot: async () => await stats.spool?.spool?.commit(),
    // Back online: the cache goes up now, not at the next upload interval.
    onOnline: () => stats.uplink.trigger(),
    agentStartedAt: ctx.agentStartedAt,
  });
  const jobs = new JobService(ctx, { replies: replies.channel, connectivity: health });
  return [
    ...stats.capabilities,
    new Collector(ctx, stats.sink),
    health,
    replies,
    jobs,
    // Last: jobs queued on the broker for our persistent session find the jobs ready.
    ...(mqtt ? [mqtt] : []),
  ];
}

export type ReloadResult = { ok: true; warnings: string[] } | { ok: false; errors: string[] };

export class Agent {
  readonly counters = new Counters();
  readonly commands: CommandRegistry;
  readonly io: AgentIo;
  readonly log: Logger;
  readonly startedAt: number;
  /** Resolves once the agent has stopped (after SIGTERM, `terminate` or `stop()`). */
  readonly stopped: Promise<void>;

  #config: Config;
  #mac: string | undefined;
  #capabilities: Capability[] = [];
  /** Started once before the others and stopped last: it survives reloads. */
  #control: ControlServer | undefined;
  #running = new Set<string>();
  #off = new Map<string, string>();
  #resolveStopped!: () => void;
  #stopping: Promise<void> | undefined;

  constructor(
    readonly options: AgentOptions,
    private readonly build: CapabilityFactory = buildCapabilities,
  ) {
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
      isRunning: (name) => this.#running.has(name),
      onInternalError: (command, error) =>
        this.log.child("control").error("command failed", { command, error }),
    });
    this.#registerAgentCommands();
  }

  get config(): Config {
    return this.#config;
  }

  get mac(): string | undefined {
    return this.#mac;
  }

  isRunning(name: string): boolean {
    return this.#running.has(name);
  }

  /** Starts the control socket, then the capabilities. Throws AgentStartError. */
  async start(): Promise<void> {
    await this.#startControl();
    await this.#startCapabilities();
    this.log.info("agent started", {
      version: VERSION,
      running: [...this.#running].join(",") || "none",
    });
  }

  #needs() {
    return capabilityNeeds(this.#config, {
      configPath: this.options.configPath,
      controlSocket: this.controlSocket,
      initUrl: this.options.initUrl,
    });
  }

  /** False, with one log line, when a permission the capability needs is missing. */
  #permitted(name: CapabilityName, needs: ReturnType<typeof capabilityNeeds>): boolean {
    const missing = missingPermissions(needs[name]);
    if (missing.length === 0) return true;
    this.#off.set(name, `disabled: missing ${missing.join(" ")}`);
    this.log.warn(`${name} disabled: permission missing`, { missing: missing.join(" ") });
    return false;
  }

  async #startControl(): Promise<void> {
    const path = this.controlSocket;
    if (path === null || !this.#permitted("control", this.#needs())) return;
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
    this.#running.add(control.name);
  }

  async #startCapabilities(): Promise<void> {
    this.log.core.setSecrets(secretValues(this.#config));
    this.#mac = await resolveMac(this.#config, (p) => this.io.fs.readTextFile(p));
    this.#capabilities = this.build({
      config: this.#config,
      mac: this.#mac,
      log: this.log,
      counters: this.counters,
      commands: this.commands,
      io: this.io,
      agentStartedAt: this.startedAt,
    });
    const needs = this.#needs();
    for (const capability of this.#capabilities) {
      if (!this.#permitted(capability.name, needs)) continue;
      try {
        await capability.start();
        this.#running.add(capability.name);
      } catch (error) {
        this.#off.set(capability.name, `failed to start: ${describe(error)}`);
        this.log.error(`${capability.name} failed to start`, { error });
      }
    }
  }

  /** The control socket path in use, or null when it is off. */
  get controlSocket(): string | null {
    return this.options.controlSocket === undefined
      ? this.#config.control_socket
      : this.options.controlSocket;
  }

  /** Stops every capability in reverse order; safe to call more than once. */
  stop(): Promise<void> {
    this.#stopping ??= this.#stopAll().then(async () => {
      await this.#stopOne(this.#control);
      this.#control = undefined;
      this.log.info("agent stopped");
      this.#resolveStopped();
    });
    return this.#stopping;
  }

  /** Stops the capabilities in reverse order; the control socket keeps answering. */
  async #stopAll(): Promise<void> {
    for (const capability of [...this.#capabilities].reverse()) await this.#stopOne(capability);
    this.#capabilities = [];
    for (const name of this.#off.keys()) if (name !== "control") this.#off.delete(name);
  }

  async #stopOne(capability: Capability | undefined): Promise<void> {
    if (!capability || !this.#running.delete(capability.name)) return;
    try {
      await capability.stop();
    } catch (error) {
      this.log.error(`${capability.name} failed to stop cleanly`, { error });
    }
  }

  /** Reads the config again: a valid one replaces the running one, an invalid one is refused. */
  async reload(): Promise<ReloadResult> {
    const loaded = await (this.options.loadConfig?.() ??
      loadConfigFile(this.options.configPath, (p) => this.io.fs.readTextFile(p)));
    if (!loaded.ok) {
      this.log.error("reload refused, keeping the running config", {
        errors: loaded.errors.join("; "),
      });
      return { ok: false, errors: loaded.errors };
    }
    for (const warning of loaded.warnings) this.log.warn(`config: ${warning}`);
    await this.#stopAll();
    this.#config = loaded.config;
    await this.#startCapabilities();
    this.log.info("config reloaded");
    return { ok: true, warnings: loaded.warnings };
  }

  /** One line per capability for `status`. */
  states(): Record<string, string> {
    const states: Record<string, string> = {};
    if (this.#control) states.control = this.#control.state();
    else if (this.#off.has("control")) states.control = this.#off.get("control")!;
    for (const capability of this.#capabilities) {
      states[capability.name] = this.#running.has(capability.name)
        ? capability.state()
        : this.#off.get(capability.name) ?? "stopped";
    }
    return states;
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
        return { warnings: result.warnings };
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

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export type { CapabilityName };
