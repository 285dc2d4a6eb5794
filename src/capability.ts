/**
 * The shape every long-lived part of the agent has, what it is built from, and the spec
 * that declares it: its name, the permissions it needs, the config keys that restart it,
 * and how it is built from the context and what it needs of the others (its deps, an
 * interface it declares itself). The agent's wiring (agent/wiring.ts) gives each its deps;
 * no capability imports another's class.
 */
import type { Config, ConfigKey } from "./config/mod.ts";
import type { CommandRegistry } from "./control/mod.ts";
import type { Counters } from "./counters.ts";
import type { Clock, Exec, Fs, Net } from "./io/mod.ts";
import type { Logger } from "./log/mod.ts";
import type { CapabilityNeeds, RunContext } from "./permissions.ts";

/** Every capability's name, in start order. */
export const CAPABILITY_NAMES = [
  "spool",
  "uplink",
  "collect",
  "health",
  "replies",
  "upgrade",
  "jobs",
  "desired",
  "mqtt",
] as const;

/** A capability's name. */
export type CapabilityName = typeof CAPABILITY_NAMES[number];

/** Why a capability stops: a reload lets work in progress finish, a shutdown does not. */
export type StopReason = "shutdown" | "reload";

/** A long-lived part of the agent: built without I/O, started, stopped once. */
export interface Capability {
  /** Its name, as in `status` and the specs. */
  readonly name: CapabilityName;
  /** Does its I/O and starts its loops; a throw leaves it failed, and the agent retries it. */
  start(): Promise<void>;
  /** Stops and releases everything; called once, in the reverse order of start. */
  stop(reason?: StopReason): Promise<void>;
  /** One line for `status`: "connected to broker:1883", "3 segments, 120 KiB". */
  state(): string;
}

/** The I/O an agent uses; tests pass fakes for any of them. */
export interface AgentIo {
  /** Time: wall clock, monotonic clock, sleeps. */
  clock: Clock;
  /** Files. */
  fs: Fs;
  /** Programs. */
  exec: Exec;
  /** Sockets, DNS, HTTP. */
  net: Net;
}

/**
 * What a capability is built from: everything is passed in, nothing is global. In an agent
 * `config` and `mac` are read live: a reload that does not restart a capability still
 * hands it the new values of the keys it reads as it goes.
 */
export interface CapabilityContext {
  /** The config running now. */
  readonly config: Config;
  /** The device MAC (config `mac`, else `mac_file`); undefined when neither is usable. */
  readonly mac: string | undefined;
  /** Its logger. */
  log: Logger;
  /** The agent's counters. */
  counters: Counters;
  /** Where it registers its control commands. */
  commands: CommandRegistry;
  /** The I/O it does. */
  io: AgentIo;
  /**
   * Monotonic ms at which the agent started (not the last reload): the reboot watchdog's
   * 15-minute grace counts from it. Absent when a test builds one capability alone.
   */
  agentStartedAt?: number;
  /** The config file the agent runs from, and its reload; absent for an in-memory config. */
  configFile?: ConfigFileHandle;
  /**
   * The permission flags the agent would start with for `config` (`ledge flags run`):
   * what a change that needs other permissions changes. Absent when a test builds one
   * capability alone.
   */
  preset?(config: Config): string[];
}

/** The agent's config file, as a capability that changes it sees it. */
export interface ConfigFileHandle {
  /** Its path. */
  readonly path: string;
  /** Reads it again, as SIGHUP does: what a change touched restarts. */
  reload(): Promise<{ ok: true } | { ok: false; errors: string[] }>;
  /**
   * Asks the init server (`-b URL`) for the config again, as SocketMan did when the API
   * refused its token: rate-limited, the file rewritten and reloaded when it changed.
   * Absent without `-b`.
   */
  reprovision?(): void;
}

/** A config key, or the device MAC the agent resolved from `mac`/`mac_file`. */
export type RestartKey = ConfigKey | "mac";

/**
 * How a capability is declared: the agent builds, starts, reloads and gates it from this.
 * `D` is what it needs of the others, declared by it and given by the agent's wiring.
 */
export interface CapabilitySpec<D = unknown, N extends CapabilityName = CapabilityName> {
  /** Its name. */
  readonly name: N;
  /**
   * The keys it reads once, at start: a reload that changes one restarts it. Every other
   * key it reads through `ctx.config` when it needs it.
   */
  readonly restartOn: readonly RestartKey[];
  /** Capabilities whose restart restarts it too (it holds something of theirs). */
  readonly uses?: readonly CapabilityName[];
  /** Why it does not run with this config ("disable_mqtt is set"); undefined when it does. */
  off?(config: Config): string | undefined;
  /** The Deno permissions it needs for this config. */
  needs(config: Config, run: RunContext): CapabilityNeeds;
  /**
   * Builds it without I/O (start does that) and registers its control commands, which
   * answer 503 with the reason while it is not running.
   */
  build(ctx: CapabilityContext, deps: D): Capability;
}
