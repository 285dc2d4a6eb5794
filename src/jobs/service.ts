/**
 * The jobs capability: takes job payloads (from MQTT), refuses what must not run, records
 * every accepted id in the journal before it starts, runs at most `job_concurrency` at
 * once through `io.exec`, and answers each through the ReplyChannel.
 *
 * Decisions worth knowing:
 * - A job refused as BUSY is not journaled: the back end may send the same id again later
 *   and it will run then. Refusals (REJECTED, EXPIRED) are not journaled either.
 * - `boot_cmd` and recovery use `ctx.io.exec` directly: the same runner, process group,
 *   timeout and output cap as jobs.
 */
import type { Capability, CapabilityContext } from "../capability.ts";
import { notFound, optional, required } from "../control/registry.ts";
import type { Connectivity } from "../health/connectivity.ts";
import type { ExecResult } from "../io/exec.ts";
import { parseArgv } from "./argv.ts";
import { type Job, MAX_ID_LENGTH, parseJob } from "./job.ts";
import { JobJournal } from "./journal.ts";
import { runNetworkJob, tcpConnectivity } from "./network.ts";
import { JobPool } from "./pool.ts";
import type { JobReply, ReplyChannel } from "./reply.ts";
import {
  deliveredReply,
  type Outcome,
  outcomeOf,
  type Refusal,
  refusalReply,
  resultReply,
} from "./replies.ts";
import { checkSignature } from "./signature.ts";
import * as z from "zod/mini";

export interface JobServiceDeps {
  replies: ReplyChannel;
  /** The health checks for `network` jobs; default: a TCP probe of the health target. */
  connectivity?: Connectivity;
  /** Between connectivity checks after a network job (default 5 s). */
  networkPollMs?: number;
  /** How many finished jobs `jobs` and `job-info` remember (default 50). */
  recentMax?: number;
}

export type JobState = "queued" | "running" | Outcome | Refusal;

/** One job as the control commands show it. */
export interface JobRecord {
  id: string;
  type: string;
  command: string;
  state: JobState;
  /** Wall-clock seconds. */
  received: number;
  reason?: string;
  exit_code?: number | null;
  duration_ms?: number;
  truncated?: boolean;
  output?: string;
  recovered?: boolean;
}

export const JOB_COUNTERS = [
  "jobs-received",
  "jobs-succeeded",
  "jobs-failed",
  "jobs-rejected",
  "jobs-duplicate",
  "jobs-busy",
  "jobs-expired",
  "jobs-timeout",
  "jobs-cancelled",
] as const;

const COUNTER_OF: Record<Outcome | Refusal, (typeof JOB_COUNTERS)[number]> = {
  PROCESSED: "jobs-succeeded",
  FAILED: "jobs-failed",
  TIMEOUT: "jobs-timeout",
  CANCELLED: "jobs-cancelled",
  REJECTED: "jobs-rejected",
  DUPLICATE: "jobs-duplicate",
  EXPIRED: "jobs-expired",
  BUSY: "jobs-busy",
};

/** At most one log line per kind of refusal in this period; the rest are counted. */
const REFUSAL_LOG_PERIOD_MS = 60_000;

export class JobService implements Capability {
  readonly name = "jobs" as const;
  readonly #ctx: CapabilityContext;
  readonly #replies: ReplyChannel;
  readonly #connectivity: Connectivity;
  readonly #networkPollMs: number;
  readonly #recentMax: number;
  readonly #pool: JobPool;
  readonly #log;
  #journal: JobJournal | undefined;
  #stopping = false;
  /** Payloads are admitted one after the other, in arrival order. */
  #intake: Promise<void> = Promise.resolve();
  #busy = new Set<Promise<void>>();
  #controllers = new Map<JobRecord, AbortController>();
  #recent: JobRecord[] = [];
  #refusalLog = new Map<string, { at: number; suppressed: number }>();

  constructor(ctx: CapabilityContext, deps: JobServiceDeps) {
    this.#ctx = ctx;
    this.#replies = deps.replies;
    this.#connectivity = deps.connectivity ?? tcpConnectivity(ctx.config, ctx.io.net);
    this.#networkPollMs = deps.networkPollMs ?? 5_000;
    this.#recentMax = deps.recentMax ?? 50;
    this.#pool = new JobPool(ctx.config.job_concurrency, ctx.config.job_queue);
    this.#log = ctx.log.child("jobs");
    ctx.counters.declare(...JOB_COUNTERS);
  }

  async start(): Promise<void> {
    this.#journal = await JobJournal.open(this.#ctx.config.state_dir, {
      now: () => this.#ctx.io.clock.now(),
    });
    this.#registerCommands();
    this.#log.info("jobs ready", {
      journal: this.#journal.path,
      ids: this.#journal.size,
      mode: this.#ctx.config.jobs.allow ? "allow-list" : "shell",
    });
  }

  /** Cancels queued and running jobs (they answer CANCELLED) and waits for them. */
  async stop(): Promise<void> {
    this.#stopping = true;
    for (const controller of this.#controllers.values()) controller.abort();
    await this.idle();
    await this.#journal?.close();
  }

  state(): string {
    return `${this.#pool.running} running, ${this.#pool.waiting} queued, ` +
      `${this.#journal?.size ?? 0} ids in journal`;
  }

  /**
   * Takes one job payload as it came off the wire; the answer goes out through the
   * ReplyChannel. Never throws; resolves (never rejects) once the job is refused or its id
   * is on disk, so the broker is acknowledged only then: a crash before that gets the job
   * re-delivered, not lost.
   */
  receive(payload: Uint8Array): Promise<void> {
    this.#ctx.counters.inc("jobs-received");
    const parsed = parseJob(payload);
    if (!parsed.ok) {
      this.#refuse(parsed.id, "REJECTED", parsed.reason);
      return Promise.resolve();
    }
    const admitted = this.#intake.then(() => this.#admit(parsed.job)).catch((error) =>
      this.#log.error("job intake failed", { id: parsed.job.id, error })
    );
    this.#intake = admitted;
    this.#track(admitted);
    return admitted;
  }

  /** Resolves once every payload received so far is answered and its job finished. */
  async idle(): Promise<void> {
    while (this.#busy.size > 0) await Promise.all(this.#busy);
  }

  /** Recent jobs, newest first. */
  list(limit = this.#recentMax): JobRecord[] {
    return this.#recent.slice(-limit).reverse().map(({ output: _, ...summary }) => summary);
  }

  /** The newest job with this id, with its output. */
  info(id: string): JobRecord | undefined {
    return this.#recent.findLast((r) => r.id === id);
  }

  /** Cancels a queued or running job; false when there is none with that id. */
  cancel(id: string): boolean {
    for (const [record, controller] of this.#controllers) {
      if (record.id === id) {
        controller.abort();
        return true;
      }
    }
    return false;
  }

  async #admit(job: Job): Promise<void> {
    const config = this.#ctx.config;
    const now = this.#ctx.io.clock.now();
    if (this.#stopping) return this.#refuse(job.id, "BUSY", "stopping");
    if (config.job_secret) {
      const bad = await checkSignature(
        job,
        config.job_secret,
        Math.floor(now / 1000),
        config.job_max_age,
      );
      if (bad) return this.#refuse(job.id, "REJECTED", bad);
    }
    if (job.expires !== undefined && job.expires * 1000 < now) {
      return this.#refuse(job.id, "EXPIRED", "expired");
    }
    const argv = this.#argvOf(job.meta.msg);
    if ("error" in argv) return this.#refuse(job.id, "REJECTED", argv.error);
    const journal = this.#journal;
    if (!journal) return this.#refuse(job.id, "BUSY", "not started");
    if (journal.has(job.id)) return this.#refuse(job.id, "DUPLICATE");
    if (!this.#pool.hasRoom()) return this.#refuse(job.id, "BUSY", "queue full");

    await this.#accept(job, argv.argv, journal, now);
  }

  /**
   * Journals the id, acknowledges once it is on disk, and queues the run. Resolves when the
   * journal write is done (whether it worked or not).
   */
  #accept(job: Job, argv: string[], journal: JobJournal, now: number): Promise<unknown> {
    const record: JobRecord = {
      id: job.id,
      type: job.meta.type ?? "",
      command: job.meta.msg,
      state: "queued",
      received: Math.floor(now / 1000),
    };
    const controller = new AbortController();
    this.#remember(record);
    this.#controllers.set(record, controller);
    const journaled = journal.append(job.id).then(
      () => (this.#replies.send("delivery", deliveredReply(job.id, this.#replyCtx())), true),
      (error) => {
        this.#log.error("journal write failed: job not run", { id: job.id, error });
        return false;
      },
    );
    const finished = Promise.withResolvers<void>();
    this.#track(finished.promise);
    this.#pool.submit(async () => {
      try {
        if (!await journaled) {
          const reply = refusalReply(job.id, "REJECTED", this.#replyCtx(), "journal unavailable");
          return this.#settle(record, reply);
        }
        await this.#run(job, argv, record, controller.signal);
      } catch (error) {
        // Exec never throws by contract; should anything else, the job still gets an answer.
        this.#log.error("job failed unexpectedly", { id: job.id, error });
        this.#settle(record, resultReply(job, failedResult(error), this.#replyCtx()));
      } finally {
        this.#controllers.delete(record);
        finished.resolve();
      }
    });
    return journaled;
  }

  async #run(job: Job, argv: string[], record: JobRecord, signal: AbortSignal): Promise<void> {
    const config = this.#ctx.config;
    const exec = this.#ctx.io.exec;
    const run = (): Promise<ExecResult> =>
      signal.aborted ? Promise.resolve(cancelledBeforeStart()) : exec.run({
        argv,
        timeoutMs: (job.timeout ?? config.job_timeout) * 1000,
        outputMax: config.job_output_max,
        signal,
      });
    record.state = "running";
    let result: ExecResult;
    let extra: Record<string, unknown> = {};
    if (job.meta.type === "network" && !signal.aborted) {
      const outcome = await runNetworkJob(run, {
        connectivity: this.#connectivity,
        clock: this.#ctx.io.clock,
        windowMs: config.network_check_s * 1000,
        pollMs: this.#networkPollMs,
        signal,
        recover: () => {
          this.#log.warn("network job broke connectivity: running recovery", { id: job.id });
          return exec.run({
            argv: ["/bin/sh", "-c", config.recovery_cmd],
            timeoutMs: config.job_timeout * 1000,
            outputMax: config.job_output_max,
          });
        },
      });
      result = outcome.result;
      extra = { ...outcome.network };
      record.recovered = outcome.network.recovered;
    } else {
      result = await run();
    }
    Object.assign(record, {
      exit_code: result.exitCode,
      duration_ms: Math.round(result.durationMs),
      truncated: result.truncated,
      output: result.output,
    });
    if (result.error) record.reason = result.error;
    this.#settle(
      record,
      resultReply(job, result, this.#replyCtx(), extra),
    );
    this.#log.info("job finished", { id: job.id, state: outcomeOf(result), exit: result.exitCode });
  }

  /** Records the final answer of an accepted job and sends it. */
  #settle(record: JobRecord, reply: JobReply): void {
    record.state = reply.event_type as JobState;
    if (typeof reply.reason === "string") record.reason = reply.reason;
    this.#ctx.counters.inc(COUNTER_OF[reply.event_type as Outcome | Refusal]);
    this.#replies.send("result", reply);
  }

  #argvOf(msg: string): { argv: string[] } | { error: string } {
    const allow = this.#ctx.config.jobs.allow;
    if (!allow) return { argv: ["/bin/sh", "-c", msg] };
    const parsed = parseArgv(msg);
    if ("error" in parsed) return parsed;
    return allow.includes(parsed.argv[0]) ? parsed : { error: "program not allowed" };
  }

  /** Answers a job that does not run (when its id is known), counts and logs it. */
  #refuse(id: string | undefined, refusal: Refusal, reason?: string): void {
    this.#ctx.counters.inc(COUNTER_OF[refusal]);
    this.#logRefusal(refusal, { id, reason });
    if (id === undefined) return;
    const now = this.#ctx.io.clock.now();
    this.#remember({
      id,
      type: "",
      command: "",
      state: refusal,
      received: Math.floor(now / 1000),
      ...(reason ? { reason } : {}),
    });
    this.#replies.send("result", refusalReply(id, refusal, this.#replyCtx(), reason));
  }

  /** A flood of bad payloads makes one line per period, with the count of the others. */
  #logRefusal(refusal: Refusal, fields: { id?: string; reason?: string }): void {
    const now = this.#ctx.io.clock.monotonic();
    const last = this.#refusalLog.get(refusal);
    if (last && now - last.at < REFUSAL_LOG_PERIOD_MS) {
      last.suppressed++;
      return;
    }
    this.#refusalLog.set(refusal, { at: now, suppressed: 0 });
    this.#log.warn(`job ${refusal.toLowerCase()}`, {
      ...fields,
      ...(last?.suppressed ? { "similar-since-last": last.suppressed } : {}),
    });
  }

  #remember(record: JobRecord): void {
    this.#recent.push(record);
    if (this.#recent.length > this.#recentMax) this.#recent.shift();
  }

  #track(work: Promise<void>): void {
    this.#busy.add(work);
    work.finally(() => this.#busy.delete(work));
  }

  #replyCtx() {
    return { app: this.#ctx.config.app, now: this.#ctx.io.clock.now() };
  }

  #registerCommands(): void {
    const jobId = z.string().check(z.minLength(1), z.maxLength(MAX_ID_LENGTH));
    const commands = this.#ctx.commands;
    commands.register({
      name: "jobs",
      description: "recent jobs, newest first",
      capability: "jobs",
      args: { limit: optional(z.int().check(z.positive()), "how many (default all kept)") },
      run: ({ limit }) => this.list(limit),
    });
    commands.register({
      name: "job-info",
      description: "one job with its output",
      capability: "jobs",
      args: { "job-id": required(jobId, "the job's id") },
      run: (args) =>
        this.info(args["job-id"]) ?? (() => {
          throw notFound("job");
        })(),
    });
    commands.register({
      name: "job-cancel",
      description: "cancel a queued or running job (it answers CANCELLED)",
      capability: "jobs",
      args: { "job-id": required(jobId, "the job's id") },
      run: (args) => {
        if (!this.cancel(args["job-id"])) throw notFound("running job");
        return { cancelled: args["job-id"] };
      },
    });
  }
}

const NOT_RUN: ExecResult = {
  exitCode: null,
  output: "",
  truncated: false,
  timedOut: false,
  cancelled: false,
  durationMs: 0,
};

function cancelledBeforeStart(): ExecResult {
  return { ...NOT_RUN, cancelled: true };
}

function failedResult(error: unknown): ExecResult {
  return { ...NOT_RUN, error: error instanceof Error ? error.message : String(error) };
}
