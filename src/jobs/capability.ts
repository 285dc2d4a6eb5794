/**
 * The jobs capability: takes job payloads (from MQTT), refuses what must not run, records
 * every accepted id in the journal before it starts, hands each to its type (a command in
 * the pool, at most `job_concurrency` at once; an upgrade on its own), and answers each
 * through the reply channel.
 *
 * Decisions worth knowing:
 * - A job refused as BUSY is not journaled: the back end may send the same id again later
 *   and it will run then. Refusals (REJECTED, EXPIRED) are not journaled either; what is
 *   refused is decided in admission.ts, how it is answered in answers.ts.
 * - Results of accepted jobs are kept in `jobs.history` (bounded) for `jobs`/`job-info`
 *   across restarts.
 */
import type { Capability, CapabilityContext, StopReason } from "../capability.ts";
import type { ExecResult } from "../io/mod.ts";
import type { JobEnvelope, ReplyChannel } from "../replies/mod.ts";
import { checkSignature, type RawJob } from "../signing/mod.ts";
import { decide, pastExpires } from "./admission.ts";
import { JobAnswers } from "./answers.ts";
import { COMMAND_TYPE } from "./command.ts";
import { registerJobCommands } from "./commands.ts";
import { JobHistory, type JobRecord, type JobState } from "./history.ts";
import { type Job, parseJob } from "./job.ts";
import type { JobType, OwnJobType, PooledJobType } from "./job_type.ts";
import { JobJournal } from "./journal.ts";
import { cancelledBeforeStart, JOB_COUNTERS } from "./outcome.ts";
import { JobPool } from "./pool.ts";
import { type Accepted, runPooled } from "./pooled.ts";

export type { JobRecord, JobState };

/** What the jobs need of the others: where replies go, and the job types they run. */
export interface JobsDeps {
  /** Where DELIVERED and the results go. */
  replies: ReplyChannel;
  /** The types jobs may have; a `meta.type` none of them takes is a `command`. */
  types: readonly JobType[];
  /** How many jobs `jobs` and `job-info` remember (default 50). */
  recentMax?: number;
}

/** The `jobs` capability: parses, checks and journals each job, runs it by its type, and sends its replies. */
export class JobsCapability implements Capability {
  readonly name = "jobs" as const;
  readonly #ctx: CapabilityContext;
  readonly #deps: JobsDeps;
  readonly #pool: JobPool;
  readonly #log;
  readonly #answers: JobAnswers;
  #journal: JobJournal | undefined;
  #history: JobHistory | undefined;
  #stopping = false;
  /** Payloads are admitted one after the other, in arrival order. */
  #intake: Promise<void> = Promise.resolve();
  /** Payloads received and not yet admitted or refused. */
  #admitting = 0;
  #busy = new Set<Promise<void>>();
  #controllers = new Map<JobRecord, AbortController>();

  /** Registers its commands; the journal is read in `start()`. */
  constructor(ctx: CapabilityContext, deps: JobsDeps) {
    this.#ctx = ctx;
    this.#deps = deps;
    this.#pool = new JobPool(() => ({
      concurrency: ctx.config.job_concurrency,
      queue: ctx.config.job_queue,
    }));
    this.#log = ctx.log.child("jobs");
    this.#answers = new JobAnswers(ctx, this.#log, deps.replies, () => this.#history);
    ctx.counters.declare(...JOB_COUNTERS);
    registerJobCommands(ctx.commands, this);
  }

  async start(): Promise<void> {
    const { config } = this.#ctx;
    const { clock, fs } = this.#ctx.io;
    this.#journal = await JobJournal.open(config.state_dir, { now: () => clock.now(), fs });
    this.#history = await JobHistory.open(config.state_dir, this.#deps.recentMax ?? 50, fs);
    if (config.job_secret && config.job_sig_legacy) {
      this.#log.warn(
        "job_sig_legacy: legacy signatures accepted; they cover id, timestamp, type and msg " +
          "only, and a newline can move text between type and msg",
      );
    }
    this.#log.info("jobs ready", {
      journal: this.#journal.path,
      ids: this.#journal.size,
      mode: config.jobs.allow ? "allow-list" : "shell",
    });
  }

  /**
   * At shutdown, cancels queued and running jobs (they answer CANCELLED); at a reload, lets
   * them finish. New payloads meanwhile are answered BUSY.
   */
  async stop(reason: StopReason = "shutdown"): Promise<void> {
    this.#stopping = true;
    if (reason === "shutdown") {
      for (const controller of this.#controllers.values()) controller.abort();
    }
    await this.idle();
    this.#answers.close();
    await this.#journal?.close();
    await this.#history?.close();
  }

  state(): string {
    return `${this.#pool.running} running, ${this.#pool.waiting} queued, ` +
      `${this.#journal?.size ?? 0} ids in journal`;
  }

  /**
   * Takes one job payload as it came off the wire, with what its message said beside it
   * (MQTT 5); the answer goes out through the reply channel. Never throws; resolves (never
   * rejects) once the job is refused or its id is on disk, so the broker is acknowledged
   * only then: a crash before that gets the job re-delivered, not lost.
   */
  receive(payload: Uint8Array, envelope: JobEnvelope = {}): Promise<void> {
    this.#ctx.counters.inc("jobs-received");
    const parsed = parseJob(payload);
    if (!parsed.ok) {
      if (parsed.anonymous) this.#answers.refuseAnonymous(parsed.reason);
      else this.#answers.refuse(parsed.id, "REJECTED", parsed.reason);
      return Promise.resolve();
    }
    if (envelope.refused) {
      this.#answers.refuse(parsed.job.id, "REJECTED", envelope.refused);
      return Promise.resolve();
    }
    const admit = () => this.#admit(parsed.job, parsed.raw, envelope);
    // With none before it (the usual case) admitted within this call: its journal sync then
    // starts before whatever the caller does next.
    const admitted = (this.#admitting++ === 0 ? admit() : this.#intake.then(admit))
      .catch((error) => this.#log.error("job intake failed", { id: parsed.job.id, error }))
      .finally(() => void this.#admitting--);
    this.#intake = admitted;
    this.#track(admitted);
    return admitted;
  }

  /** Resolves once every payload received so far is answered and its job finished. */
  async idle(): Promise<void> {
    while (this.#busy.size > 0) await Promise.all(this.#busy);
  }

  /** Recent jobs, newest first. */
  list(limit?: number): JobRecord[] {
    return this.#history?.list(limit) ?? [];
  }

  /**
   * The newest job with this id, with its output; for an id the journal holds from before
   * a restart without a recorded result, what its type or the journal knows of it.
   */
  info(id: string): JobRecord | undefined {
    const record = this.#history?.find(id);
    if (record) return record;
    for (const type of this.#deps.types) {
      const known = !type.pooled && type.info?.(id);
      if (known) return known;
    }
    const accepted = this.#journal?.acceptedAt(id);
    if (accepted === undefined) return undefined;
    return {
      id,
      type: "",
      command: "",
      state: "unknown",
      received: accepted,
      reason: "accepted before a restart; its result was not recorded (the agent stopped " +
        "while it ran), and it will not run again",
    };
  }

  /** Cancels a queued or running job, or one its type runs; false when there is none. */
  cancel(id: string): boolean {
    for (const [record, controller] of this.#controllers) {
      if (record.id !== id) continue;
      controller.abort();
      return true;
    }
    return this.#deps.types.some((type) => !type.pooled && type.cancel?.(id));
  }

  async #admit(job: Job, raw: RawJob, { route, startBy }: JobEnvelope): Promise<void> {
    const config = this.#ctx.config;
    const now = this.#ctx.io.clock.now();
    const type = this.#typeOf(job);
    const decision = decide(job, raw, type, {
      stopping: this.#stopping,
      badSignature: config.job_secret && !this.#stopping
        ? await checkSignature(
          raw,
          config.job_secret,
          Math.floor(now / 1000),
          config.job_max_age,
          config.job_sig_legacy ? "canonical+legacy" : "canonical",
          this.#ctx.mac,
        )
        : undefined,
      now,
      journal: this.#journal,
      poolRoom: this.#pool.hasRoom(),
    });
    if (!decision.ok) {
      return this.#answers.refuse(job.id, decision.refusal, decision.reason, route);
    }
    const accepted = this.#accept(job, this.#journal!, now, { route, startBy });
    if (type.pooled) this.#submit(type, decision.plan, job, accepted);
    else this.#hand(type, decision.plan, job, accepted);
    await accepted.journaled;
  }

  #typeOf(job: Job): JobType {
    const types = this.#deps.types;
    return types.find((t) => t.type === job.meta.type) ??
      types.find((t) => t.type === COMMAND_TYPE)!;
  }

  /**
   * Claims the job's id in the journal first (its sync, on every job's path, starts within
   * the call), remembers the job and sends DELIVERED at once, while the id is synced: the
   * job starts, and the broker's copy is acknowledged, only once the id is on disk. A crash
   * before that gets the job re-delivered (DELIVERED twice, the job run once); waiting for
   * the disk would put its sync (milliseconds on flash) before every acknowledgement.
   */
  #accept(job: Job, journal: JobJournal, now: number, { route, startBy }: JobEnvelope): Accepted {
    const journaled = journal.append(job.id).then(
      () => true,
      (error) => {
        this.#log.error("journal write failed: job not run", { id: job.id, error });
        return false;
      },
    );
    const record: JobRecord = {
      id: job.id,
      type: job.meta.type ?? "",
      command: job.meta.msg,
      state: "queued",
      received: Math.floor(now / 1000),
    };
    this.#history?.remember(record);
    const { clock } = this.#ctx.io;
    // Not started past the job's own `expires`, nor past its message's expiry (MQTT 5): a
    // job that waited in the queue that long is answered EXPIRED.
    const lapsed = () =>
      pastExpires(job, clock.now()) || (startBy !== undefined && clock.monotonic() > startBy);
    return { record, journaled, delivered: this.#answers.delivered(job.id, route), route, lapsed };
  }

  /** Runs a pooled job: started once its DELIVERED is on the wire, its id gating its program. */
  #submit(type: PooledJobType, plan: unknown, job: Job, accepted: Accepted): void {
    const { record, journaled } = accepted;
    const controller = new AbortController();
    this.#controllers.set(record, controller);
    const finished = Promise.withResolvers<void>();
    this.#track(finished.promise);
    const config = this.#ctx.config;
    const signal = controller.signal;
    const exec = (argv: string[]): Promise<ExecResult> =>
      signal.aborted ? Promise.resolve(cancelledBeforeStart()) : this.#ctx.io.exec.run({
        argv,
        timeoutMs: (job.timeout ?? config.job_timeout) * 1000,
        outputMax: config.job_output_max,
        signal,
        gate: journaled,
      });
    const run = { exec, journaled, signal };
    this.#pool.submit(() =>
      runPooled(job, accepted, type, plan, run, this.#answers, this.#log).finally(() => {
        this.#controllers.delete(record);
        finished.resolve();
      })
    );
  }

  /** Hands a job to a type that runs it on its own (not tracked by `idle()`: the type owns it). */
  #hand(type: OwnJobType, plan: unknown, job: Job, accepted: Accepted): void {
    const { record, journaled, delivered } = accepted;
    record.state = "running";
    type.start(plan, job, {
      journaled,
      delivered: Promise.resolve(delivered),
      note: (reason) => void (record.reason = reason),
      settled: (reply) => this.#answers.keep(record, reply),
      unjournaled: () => this.#answers.unjournaled(record, accepted.route),
      route: accepted.route,
    });
  }

  #track(work: Promise<void>): void {
    this.#busy.add(work);
    work.finally(() => this.#busy.delete(work));
  }
}
