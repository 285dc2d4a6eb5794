/** Configs, capability contexts and in-process agents for tests, from a few config keys. */
import { Agent } from "../../src/agent.ts";
import type { AgentIo, CapabilityContext, CapabilitySpec } from "../../src/capability.ts";
import { type Config, secretValues, validateConfig } from "../../src/config/mod.ts";
import { CommandRegistry } from "../../src/control/registry.ts";
import { Counters } from "../../src/counters.ts";
import { denoExec, denoFs, denoNet, systemClock } from "../../src/io/mod.ts";
import { type LogLevel, memoryLogger } from "../../src/log/logger.ts";

/** A valid config from `keys`; throws with the validation errors otherwise. */
export function testConfig(keys: Record<string, unknown>): Config {
  const validation = validateConfig(keys);
  if (!validation.ok) throw new Error(validation.errors.join("; "));
  return validation.config;
}

export interface TestContext extends CapabilityContext {
  /** Every log line, at debug level. */
  lines: string[];
  counters: Counters;
  commands: CommandRegistry;
}

/**
 * What one capability is built from: real I/O unless `io` replaces some, the config's MAC
 * (or `options.mac`), and a logger that keeps its lines from `options.level` (default
 * debug), the config's secrets registered with it.
 */
export function testContext(
  config: Config,
  io: Partial<AgentIo> = {},
  options: { mac?: string; level?: LogLevel } = {},
): TestContext {
  const { log, lines } = memoryLogger(options.level);
  log.core.setSecrets(secretValues(config));
  return {
    config,
    mac: options.mac ?? config.mac,
    log,
    lines,
    counters: new Counters(),
    commands: new CommandRegistry(),
    io: {
      clock: io.clock ?? systemClock,
      fs: io.fs ?? denoFs,
      exec: io.exec ?? denoExec,
      net: io.net ?? denoNet,
    },
  };
}

/** An agent (all capabilities, or `specs`) in this process, without a control socket. */
export function testAgent(
  config: Config,
  io?: Partial<AgentIo>,
  specs?: readonly CapabilitySpec[],
): { agent: Agent; lines: string[] } {
  const { log, lines } = memoryLogger();
  const agent = new Agent({ config, configPath: "-", log, controlSocket: null, io }, specs);
  return { agent, lines };
}
