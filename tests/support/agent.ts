/** In-process agents and capability contexts for tests, from a few config keys. */
import { Agent } from "../../src/agent.ts";
import type { AgentIo, CapabilityContext } from "../../src/capability.ts";
import { type Config, secretValues, validateConfig } from "../../src/config/mod.ts";
import { CommandRegistry } from "../../src/control/registry.ts";
import { Counters } from "../../src/counters.ts";
import { denoExec, denoFs, denoNet, systemClock } from "../../src/io/mod.ts";
import { memoryLogger } from "../../src/log/logger.ts";

/** A valid config from `keys`; throws with the validation errors otherwise. */
export function testConfig(keys: Record<string, unknown>): Config {
  const validation = validateConfig(keys);
  if (!validation.ok) throw new Error(validation.errors.join("; "));
  return validation.config;
}

/** What one capability is built from, with real I/O and a logger that keeps its lines. */
export function testContext(config: Config): CapabilityContext & { lines: string[] } {
  const { log, lines } = memoryLogger();
  log.core.setSecrets(secretValues(config));
  return {
    config,
    mac: config.mac,
    log,
    lines,
    counters: new Counters(),
    commands: new CommandRegistry({ isRunning: () => true }),
    io: { clock: systemClock, fs: denoFs, exec: denoExec, net: denoNet },
  };
}

/** A whole agent (the real capabilities) in this process, without a control socket. */
export function testAgent(
  config: Config,
  io?: Partial<AgentIo>,
): { agent: Agent; lines: string[] } {
  const { log, lines } = memoryLogger();
  const agent = new Agent({ config, configPath: "-", log, controlSocket: null, io });
  return { agent, lines };
}
