/** The agent's own control commands: status, counters, config, reload, log-level, terminate. */
import { type Config, redactConfig } from "../config/mod.ts";
import { CommandError, type CommandRegistry, required } from "../control/mod.ts";
import type { Counters } from "../counters.ts";
import { LOG_LEVELS, type Logger } from "../log/mod.ts";
import { VERSION } from "../version.ts";
import * as z from "zod/mini";

/** What the commands ask of the agent. */
export interface AgentView {
  counters: Counters;
  log: Logger;
  config: Config;
  mac: string | undefined;
  configPath: string;
  /** Seconds since it started. */
  uptime(): number;
  /** One line per capability (and the control socket). */
  states(): Record<string, string>;
  reload(): Promise<
    { ok: true; warnings: string[]; restarted: string[] } | { ok: false; errors: string[] }
  >;
  stop(): Promise<void>;
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

/** Registers the agent's commands on `commands`, answering from `agent`. */
export function registerAgentCommands(commands: CommandRegistry, agent: AgentView): void {
  commands.register({
    name: "status",
    description: "version, pid, uptime, config path and the state of each capability",
    // Its own name would collide with the answer's `status` field.
    payloadKey: "agent-status",
    run: () => ({
      version: VERSION,
      pid: Deno.pid,
      uptime: agent.uptime(),
      config: agent.configPath,
      mac: agent.mac,
      memory: memoryKb(),
      ...agent.states(),
    }),
  });
  commands.register({
    name: "counters",
    description: "monotonic counters of every capability",
    run: () => agent.counters.snapshot(),
  });
  commands.register({
    name: "config",
    description: "the effective config, secrets shown as ***",
    run: () => redactConfig(agent.config),
  });
  commands.register({
    name: "reload",
    description: "re-read the config file; an invalid one is refused and the running one kept",
    run: async () => {
      const result = await agent.reload();
      if (!result.ok) throw new CommandError(400, `config invalid: ${result.errors.join("; ")}`);
      return { warnings: result.warnings, restarted: result.restarted };
    },
  });
  commands.register({
    name: "log-level",
    description: "set the log level at run time",
    args: { level: required(z.enum(LOG_LEVELS), "debug, info, warn or error") },
    run: ({ level }) => {
      agent.log.core.level = level;
      return { level };
    },
  });
  commands.register({
    name: "terminate",
    description: "shut down gracefully, as on SIGTERM",
    run: () => {
      // Answer first: the stop begins once this reply has been handed to the socket.
      setTimeout(() => void agent.stop(), 0);
      return { terminating: true };
    },
  });
}
