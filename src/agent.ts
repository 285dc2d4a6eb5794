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
  /** `-b URL` was given: the config may be rewritten by provisioning. */
  provisioning?: boolean;
  /** Reads the config again on reload; default: the file at `configPath`. */
  loadConfig?: () => Promise<Validation>;
}

/** Builds the capabilities of one config, in start order. */
export type CapabilityFactory = (ctx: CapabilityContext) => Capability[];

/** The real wiring: each capability gets what it needs from the others, in start order. */
export function buildCapabilities(ctx: CapabilityContext): Capability[] {
  // The collector pushes into the spool (with `no-cache`, straight to the uplink).
  const stats = buildStatsPipeline(ctx);
  const replies = new ReplyService(ctx);
  // Jobs use their default Connectivity (a TCP probe of the health target) until health lands.
  const jobs = new JobService(ctx, { replies: replies.channel });
  const capabilities: Capability[] = [
    ...stats.capabilities,
    new Collector(ctx, stats.sink),
    new HealthCapability(ctx),
    replies,
    jobs,
  ];
  if (mqttEnabled(ctx.config)) {
    // Jobs start before the session, so that jobs queued on the broker find them ready.
    capabilities.push(new MqttCapability(ctx, replies, (payload) => jobs.receive(payload)));
  }
  return capabilities;
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

  async start(): Promise<void> {
    this.log.core.setSecrets(secretValues(this.#config));
    this.#mac = await resolveMac(this.#config, (p) => this.io.fs.readTextFile(p));
    this.#capabilities = this.build({
      config: this.#config,
      mac: this.#mac,
      log: this.log,
      counters: this.counters,
      commands: this.commands,
      io: this.io,
    });
    const needs = capabilityNeeds(this.#config, {
      configPath: this.options.configPath,
      controlSocket: this.controlSocket,
      provisioning: this.options.provisioning ?? false,
    });
    for (const capability of this.#capabilities) {
      const missing = missingPermissions(needs[capability.name]);
      if (missing.length > 0) {
        this.#off.set(capability.name, `disabled: missing ${missing.join(" ")}`);
        this.log.warn(`${capability.name} disabled: permission missing`, {
          missing: missing.join(" "),
        });
        continue;
      }
      try {
        await capability.start();
        this.#running.add(capability.name);
      } catch (error) {
        this.#off.set(capability.name, `failed to start: ${describe(error)}`);
        this.log.error(`${capability.name} failed to start`, { error });
      }
    }
    this.log.info("agent started", {
      version: VERSION,
      running: [...this.#running].join(",") || "none",
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
    this.#stopping ??= this.#stopAll().then(() => {
      this.log.info("agent stopped");
      this.#resolveStopped();
    });
    return this.#stopping;
  }

  async #stopAll(): Promise<void> {
    for (const capability of [...this.#capabilities].reverse()) {
      if (!this.#running.delete(capability.name)) continue;
      try {
        await capability.stop();
      } catch (error) {
        this.log.error(`${capability.name} failed to stop cleanly`, { error });
      }
    }
    this.#capabilities = [];
    this.#off.clear();
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
    await this.start();
    this.log.info("config reloaded");
    return { ok: true, warnings: loaded.warnings };
  }

  /** One line per capability for `status`. */
  states(): Record<string, string> {
    const states: Record<string, string> = {};
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
