/** A JobsCapability over a temp state_dir with fakes, for the jobs tests and the jobs bench. */
import type { AgentIo } from "../../src/capability.ts";
import type { Config } from "../../src/config/mod.ts";
import {
  commandJobs,
  type Connectivity,
  JobsCapability,
  type JobsDeps,
  networkJobs,
} from "../../src/jobs/mod.ts";
import type { ReplyChannel } from "../../src/replies/channel.ts";
import type { JobReply, ReplyKind } from "../../src/replies/wire.ts";
import type { ReplyRoute } from "../../src/replies/route.ts";
import { testConfig, type TestContext, testContext } from "./context.ts";
import { okResult } from "./fakes.ts";

export const JOBS_MAC = "AA:BB:CC:00:11:22";

export function jobsConfig(extra: Record<string, unknown>): Config {
  return testConfig({ mac: JOBS_MAC, disable_mqtt: true, ...extra });
}

/** Keeps every reply, in order; `flushed` waits only while a test holds it. */
export class RecordingReplies implements ReplyChannel {
  sent: { kind: ReplyKind; reply: JobReply; route?: ReplyRoute }[] = [];
  /** What `send` returns: undefined (on the wire within the call), or what a test holds. */
  hold: Promise<void> | undefined;
  send(kind: ReplyKind, reply: JobReply, route?: ReplyRoute): Promise<void> | undefined {
    this.sent.push({ kind, reply, ...(route ? { route } : {}) });
    return this.hold;
  }
  results(): JobReply[] {
    return this.sent.filter((s) => s.kind === "result").map((s) => s.reply);
  }
  byId(id: string): JobReply[] {
    return this.sent.filter((s) => s.reply.id === id).map((s) => s.reply);
  }
}

/** A link that is always up; recoveries are counted. */
export function steadyLink(): Connectivity & { recoveries: number } {
  const link = {
    recoveries: 0,
    check: () => Promise.resolve({ online: true, details: ["steady"] }),
    recover: () => (link.recoveries++, Promise.resolve(okResult(""))),
  };
  return link;
}

export interface JobsHarness extends AsyncDisposable {
  service: JobsCapability;
  replies: RecordingReplies;
  ctx: TestContext;
  counters: TestContext["counters"];
  commands: TestContext["commands"];
  lines: string[];
}

/**
 * A started JobsCapability with the command and network types (`connectivity`: a steady link
 * unless given); `await using` stops it.
 */
export async function startJobs(
  config: Config,
  io: Partial<AgentIo> = {},
  deps: Partial<JobsDeps> & { connectivity?: Connectivity } = {},
): Promise<JobsHarness> {
  const ctx = testContext(config, io);
  const replies = new RecordingReplies();
  const allow = () => ctx.config.jobs.allow;
  const types = [
    commandJobs(allow),
    networkJobs({
      connectivity: deps.connectivity ?? steadyLink(),
      clock: ctx.io.clock,
      allow,
      windowMs: () => ctx.config.network_check_s * 1000,
    }),
  ];
  const service = new JobsCapability(ctx, { replies, types, ...deps });
  await service.start();
  return {
    service,
    replies,
    ctx,
    counters: ctx.counters,
    commands: ctx.commands,
    lines: ctx.lines,
    [Symbol.asyncDispose]: () => service.stop(),
  };
}

export function payload(job: unknown): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(job));
}

export function job(id: string, msg: string, extra: Record<string, unknown> = {}) {
  return { id, timestamp: Math.floor(Date.now() / 1000), meta: { msg, type: "command" }, ...extra };
}
