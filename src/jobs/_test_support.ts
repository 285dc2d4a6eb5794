/** Builds a JobService over a temp state_dir with fakes, for the jobs tests. */
import type { AgentIo, CapabilityContext } from "../capability.ts";
import { type Config, validateConfig } from "../config/mod.ts";
import { CommandRegistry } from "../control/registry.ts";
import { Counters } from "../counters.ts";
import { denoExec, denoFs, denoNet, systemClock } from "../io/mod.ts";
import type { Exec, ExecRequest, ExecResult } from "../io/exec.ts";
import { memoryLogger } from "../log/logger.ts";
import type { JobReply, ReplyChannel, ReplyKind } from "./reply.ts";
import { JobService, type JobServiceDeps } from "./service.ts";

export function jobsConfig(extra: Record<string, unknown>): Config {
  const result = validateConfig({ mac: "AA:BB:CC:00:11:22", disable_mqtt: true, ...extra });
  if (!result.ok) throw new Error(result.errors.join("; "));
  return result.config;
}

/** Keeps every reply, in order. */
export class RecordingReplies implements ReplyChannel {
  sent: { kind: ReplyKind; reply: JobReply }[] = [];
  send(kind: ReplyKind, reply: JobReply): void {
    this.sent.push({ kind, reply });
  }
  results(): JobReply[] {
    return this.sent.filter((s) => s.kind === "result").map((s) => s.reply);
  }
  byId(id: string): JobReply[] {
    return this.sent.filter((s) => s.reply.id === id).map((s) => s.reply);
  }
}

/** An Exec that counts runs and answers with `answer`. */
export class CountingExec implements Exec {
  requests: ExecRequest[] = [];
  constructor(
    private readonly answer: (r: ExecRequest) => Promise<ExecResult> | ExecResult = () =>
      okResult(""),
  ) {}
  run(request: ExecRequest): Promise<ExecResult> {
    this.requests.push(request);
    return Promise.resolve(this.answer(request));
  }
}

export function okResult(output: string, exitCode = 0): ExecResult {
  return {
    exitCode,
    output,
    truncated: false,
    timedOut: false,
    cancelled: false,
    durationMs: 3,
  };
}

export interface Harness {
  service: JobService;
  replies: RecordingReplies;
  counters: Counters;
  commands: CommandRegistry;
  lines: string[];
  [Symbol.asyncDispose](): Promise<void>;
}

/** A started JobService; `await using` stops it. */
export async function startJobs(
  config: Config,
  io: Partial<AgentIo> = {},
  deps: Partial<JobServiceDeps> = {},
): Promise<Harness> {
  const { log, lines } = memoryLogger();
  const counters = new Counters();
  const replies = new RecordingReplies();
  const commands = new CommandRegistry({ isRunning: (name) => name === "jobs" });
  const ctx: CapabilityContext = {
    config,
    mac: "AA:BB:CC:00:11:22",
    log,
    counters,
    commands,
    io: {
      clock: io.clock ?? systemClock,
      fs: io.fs ?? denoFs,
      exec: io.exec ?? denoExec,
      net: io.net ?? denoNet,
    },
  };
  const service = new JobService(ctx, { replies, ...deps });
  await service.start();
  return {
    service,
    replies,
    counters,
    commands,
    lines,
    [Symbol.asyncDispose]: () => service.stop(),
  };
}

export function payload(job: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(job));
}

export function job(id: string, msg: string, extra: Record<string, unknown> = {}) {
  return { id, timestamp: Math.floor(Date.now() / 1000), meta: { msg, type: "command" }, ...extra };
}
