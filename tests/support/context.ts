/** Configs, capability contexts and in-process agents for tests, from a few config keys. */
import { Agent, CAPABILITIES, type Wired } from "../../src/agent/mod.ts";
import type {
  AgentIo,
  CapabilityContext,
  CapabilityName,
  CapabilitySpec,
} from "../../src/capability.ts";
import { type Config, secretValues, validateConfig } from "../../src/config/mod.ts";
import { CommandRegistry } from "../../src/control/registry.ts";
import { Counters } from "../../src/counters.ts";
import { denoFs, type Net, systemClock } from "../../src/io/mod.ts";
import { type LogLevel, memoryLogger } from "../../src/log/logger.ts";
import { FakeExec } from "./fakes.ts";

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

/** No network: what a unit test did not give it is refused, saying so. */
export const noNet: Net = {
  tcpProbe: () => Promise.resolve({ ok: false, ms: 0, error: "no network in this test" }),
  resolveDns: () => Promise.resolve({ ok: false, ms: 0, error: "no network in this test" }),
  fetch: () => Promise.reject(new TypeError("no network in this test")),
};

/**
 * What one capability is built from: the config's MAC (or `options.mac`), a logger that
 * keeps its lines from `options.level` (default debug), the config's secrets registered
 * with it, and I/O. Programs and the network are fakes unless `io` gives others (a
 * recording FakeExec, `noNet`): a unit test never runs a program of this machine or
 * reaches out by accident. Files (the test's own temp dirs) and the clock are real.
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
      exec: io.exec ?? new FakeExec(),
      net: io.net ?? noNet,
    },
  };
}

/**
 * A wiring of some capabilities: a name picks the real one with its deps, in the agent's
 * order; a spec of the test's own is given no deps.
 */
export function wiringOf(capabilities: readonly (CapabilityName | CapabilitySpec)[]): Wired[] {
  const names = capabilities.filter((c) => typeof c === "string");
  const own = capabilities.filter((c) => typeof c !== "string");
  return [
    ...CAPABILITIES.filter((wired) => names.includes(wired.spec.name)),
    ...own.map((spec) => ({ spec, deps: () => undefined })),
  ];
}

/** An agent (all capabilities, or those named) in this process, without a control socket. */
export function testAgent(
  config: Config,
  io?: Partial<AgentIo>,
  capabilities?: readonly CapabilityName[],
): { agent: Agent; lines: string[] } {
  const { log, lines } = memoryLogger();
  const wiring = capabilities && wiringOf(capabilities);
  const agent = new Agent({ config, configPath: "-", log, controlSocket: null, io }, wiring);
  return { agent, lines };
}
