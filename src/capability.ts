/** The shape every long-lived part of the agent has, and what it is built from. */
import type { CapabilityName, Config } from "./config/mod.ts";
import type { CommandRegistry } from "./control/registry.ts";
import type { Counters } from "./counters.ts";
import type { Clock, Exec, Fs, Net } from "./io/mod.ts";
import type { Logger } from "./log/logger.ts";

export interface Capability {
  readonly name: CapabilityName;
  start(): Promise<void>;
  /** Stops and releases everything; called once, in the reverse order of start. */
  stop(): Promise<void>;
  /** One line for `status`: "connected to broker:1883", "3 segments, 120 KiB". */
  state(): string;
}

/** The I/O an agent uses; tests pass fakes for any of them. */
export interface AgentIo {
  clock: Clock;
  fs: Fs;
  exec: Exec;
  net: Net;
}

/** What a capability is built from: everything is passed in, nothing is global. */
export interface CapabilityContext {
  config: Config;
  /** The device MAC (config `mac`, else `mac_file`); undefined when neither is usable. */
  mac: string | undefined;
  log: Logger;
  counters: Counters;
  commands: CommandRegistry;
  io: AgentIo;
  /**
   * Monotonic ms at which the agent started (not the last reload): the reboot watchdog's
   * 15-minute grace counts from it. Absent when a test builds one capability alone.
   */
  agentStartedAt?: number;
}
