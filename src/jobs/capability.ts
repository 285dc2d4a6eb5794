/**
 * The jobs capability: takes job payloads (from MQTT), refuses what must not run, records
 * every accepted id in the journal before it starts, runs at most `job_concurrency` at
 * once through `io.exec`, and answers each through the reply channel.
 *
 * Decisions worth knowing:
 * - A job refused as BUSY is not journaled: the back end may send the same id again later
 *   and it will run then. Refusals (REJECTED, EXPIRED) are not journaled either.
 * - Every refusal is counted; the log gets one line per kind of refusal a minute, then the
 *   count of the others, so a flood of bad payloads cannot flood the log.
 * - Results of accepted jobs are kept in `jobs.history` (bounded) for `jobs`/`job-info`
 *   across restarts; refusals only in memory, so a flood writes nothing to flash.
 */
import type { Capability, CapabilityContext, StopReason } from "../capability.ts";
import type { Connectivity } from "../health/mod.ts";
import { type ExecResult, parseArgv } from "../io/mod.ts";
import { LogThrottle } from "../log/mod.ts";
import {
  parseUpgradeRequest,
  UPGRADE_TYPE,
  type UpgradeRecord,
  type UpgradeService,
} from "../upgrade/mod.ts";
import {
  deliveredReply,
  type JobReply,
  type Outcome,
  outcomeOf,
  type Refusal,
  refusalReply,
  type ReplyChannel,
  resultReply,
} from "../replies/mod.ts";
import { JobHistory, type JobRecord, type JobState } from "./history.ts";
import { registerJobCommands } from "./commands.ts";
import { type Job, parseJob } from "./job.ts";
import { JobJournal } from "./journal.ts";
import { runNetworkJob } from "./network.ts";
import { JobPool } from "./pool.ts";
import { checkSignature, type RawJob } from "../signing/mod.ts";

export type { JobRecord, JobState };

export interface JobServiceDeps {
  replies: ReplyChannel;
  /** The health checks and recovery for `network` jobs. */
  connectivity: Connectivity;
  /** The firmware upgrades for `sysupgrade` jobs; undefined while they do not run. */
  upgrade?: () => UpgradeService | undefined;
  /** Between connectivity checks after a network job (default 5 s). */
  networkPollMs?: number;
  /** How many jobs `jobs` and `job-info` remember (default 50). */
  recentMax?: number;
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

/** The `jobs` capability: parses, checks and journals each job, runs it in the pool, and sends its replies. */
export class JobService implements Capability {
  readonly name = "jobs" as const;
  readonly #ctx: CapabilityContext;
  readonly #deps: JobServiceDeps;
  readonly #pool: JobPool;
  readonly #log;
  readonly #refusals: LogThrottle;
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
  constructor(ctx: CapabilityContext, deps: JobServiceDeps) {
    this.#ctx = ctx;
    this.#deps = deps;
    this.#pool = new JobPool(() => ({
      concurrency: ctx.config.job_concurrency,
      queue: ctx.config.job_queue,
    }));
    this.#log = ctx.log.child("jobs");
    this.#refusals = new LogThrottle(
      ctx.io.clock,
      REFUSAL_LOG_PERIOD_MS,
      (kind, suppressed) => this.#log.warn(`${suppressed} more like it`, { kind }),
    );
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
    this.#refusals.close();
    await this.#journal?.close();
    await this.#history?.close();
  }

  state(): string {
    return `${this.#pool.running} running, ${this.#pool.waiting} queued, ` +
      `${this.#journal?.size ?? 0} ids in journal`;
  }

  /**
   * Takes one job payload as it came off the wire; the answer goes out through the reply
   * channel. Never throws; resolves (never rejects) once the job is refused or its id is
   * on disk, so the broker is acknowledged only then: a crash before that gets the job
   * re-delivered, not lost.
   */
  receive(payload: Uint8Array): Promise<void> {
    this.#ctx.counters.inc("jobs-received");
    const parsed = parseJob(payload);
    if (!parsed.ok) {
      this.#refuse(parsed.id, "REJECTED", parsed.reason);
      return Promise.resolve();
    }
    const admit = () => this.#admit(parsed.job, parsed.raw);
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
   * a restart without a recorded result, what is known of it.
   */
  info(id: string): JobRecord | undefined {
    const record = this.#history?.find(id);
    if (record) return record;
    const upgrade = this.#deps.upgrade?.()?.status();
    if (upgrade?.id === id) return upgradeJobRecord(upgrade);
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

  /**
   * Cancels a queued or running job, or an upgrade before it flashes; false when there is
   * none with that id.
   */
  cancel(id: string): boolean {
    for (const [record, controller] of this.#controllers) {
      if (record.id === id) {
        controller.abort();
        return true;
      }
    }
    return this.#deps.upgrade?.()?.cancel(id) ?? false;
  }

  async #admit(job: Job, raw: RawJob): Promise<void> {
    const config = this.#ctx.config;
    const now = this.#ctx.io.clock.now();
    if (this.#stopping) return this.#refuse(job.id, "BUSY", "stopping");
    if (config.job_secret) {
      const bad = await checkSignature(
        raw,
        config.job_secret,
        Math.floor(now / 1000),
        config.job_max_age,
        config.job_sig_legacy ? "canonical+legacy" : "canonical",
        this.#ctx.mac,
      );
      if (bad) return this.#refuse(job.id, "REJECTED", bad);
    }
    if (job.expires !== undefined && job.expires * 1000 < now) {
      return this.#refuse(job.id, "EXPIRED", "expired");
    }
    const journal = this.#journal;
    if (!journal) return this.#refuse(job.id, "BUSY", "not started");
    if (job.meta.type === UPGRADE_TYPE) return await this.#admitUpgrade(job, raw, journal, now);
    const argv = this.#argvOf(job.meta.msg);
    if ("error" in argv) return this.#refuse(job.id, "REJECTED", argv.error);
    if (journal.has(job.id)) return this.#refuse(job.id, "DUPLICATE");
    if (!this.#pool.hasRoom()) return this.#refuse(job.id, "BUSY", "queue full");

    await this.#accept(job, argv.argv, journal, now);
  }

  /**
   * A `sysupgrade` job: checked, journaled and acknowledged as any job, then handed to the
   * upgrade capability outside the pool (it may wait hours for its window).
   */
  async #admitUpgrade(job: Job, raw: RawJob, journal: JobJournal, now: number): Promise<void> {
    if (journal.has(job.id)) return this.#refuse(job.id, "DUPLICATE");
    const request = parseUpgradeRequest(raw.meta);
    if ("error" in request) return this.#refuse(job.id, "REJECTED", request.error);
    const upgrade = this.#deps.upgrade?.();
    if (!upgrade) {
      const why = this.#ctx.config.upgrade.hosts.length === 0
        ? "upgrade.hosts is not set"
        : "the upgrade capability is not running (ledge ctl status says why)";
      return this.#refuse(job.id, "REJECTED", `firmware upgrades are off: ${why}`);
    }
    const refusal = upgrade.refusal(request);
    if (refusal) return this.#refuse(job.id, "REJECTED", refusal);
    const { record, journaled } = this.#journalAndAcknowledge(job, journal, now);
    // Claimed now, before the next payload is admitted: a second upgrade is refused.
    const running = upgrade.claim(job.id);
    if (!await journaled) {
      running.release();
      const reply = refusalReply(job.id, "REJECTED", this.#replyCtx(), "journal unavailable");
      return this.#settle(record, reply);
    }
    record.state = "running";
    const watcher = {
      note: (reason: string) => void (record.reason = reason),
      settled: (reply: JobReply) => this.#keep(record, reply),
    };
    // Not tracked by idle(): the upgrade capability owns it (and waits for it when stopping).
    const upgrading = Promise.resolve(this.#deps.replies.flushed())
      .then(() => running.run(request, watcher));
    upgrading.catch((error) =>
      this.#log.error("upgrade failed unexpectedly", { id: job.id, error })
    );
  }

  /**
   * Journals the id, acknowledges it, and queues the run. Resolves when the journal write
   * is done (whether it worked or not).
   */
  #accept(job: Job, argv: string[], journal: JobJournal, now: number): Promise<unknown> {
    const { record, journaled } = this.#journalAndAcknowledge(job, journal, now);
    const controller = new AbortController();
    this.#controllers.set(record, controller);
    const finished = Promise.withResolvers<void>();
    this.#track(finished.promise);
    this.#pool.submit(async () => {
      try {
        // Not even a microtask when nothing waits: the spawn then comes before whatever the
        // caller does next (the session arms its handler's timer).
        const flushing = this.#deps.replies.flushed();
        if (flushing) await flushing;
        await this.#run(job, argv, record, controller.signal, journaled);
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

  /**
   * Claims the job's id in the journal first (its sync, on every job's path, starts within
   * the call), remembers the job and sends DELIVERED at once, while the id is synced: the
   * job starts, and the broker's copy is acknowledged, only once the id is on disk. A crash
   * before that gets the job re-delivered (DELIVERED twice, the job run once); waiting for
   * the disk would put its sync (milliseconds on flash) before every acknowledgement.
   */
  #journalAndAcknowledge(job: Job, journal: JobJournal, now: number) {
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
    this.#deps.replies.send("delivery", deliveredReply(job.id, this.#replyCtx()));
    return { record, journaled };
  }

  /**
   * Runs the job once its id is on disk (`journaled`): a shell command is started meanwhile
   * and waits for it (exec's gate), which takes the fsync off the job's latency; a job
   * whose id could not be written never runs and is answered REJECTED.
   */
  async #run(
    job: Job,
    argv: string[],
    record: JobRecord,
    signal: AbortSignal,
    journaled: Promise<boolean>,
  ): Promise<void> {
    const config = this.#ctx.config;
    const unjournaled = () =>
      this.#settle(
        record,
        refusalReply(job.id, "REJECTED", this.#replyCtx(), "journal unavailable"),
      );
    const run = (): Promise<ExecResult> =>
      signal.aborted ? Promise.resolve(cancelledBeforeStart()) : this.#ctx.io.exec.run({
        argv,
        timeoutMs: (job.timeout ?? config.job_timeout) * 1000,
        outputMax: config.job_output_max,
        signal,
        gate: journaled,
      });
    record.state = "running";
    let result: ExecResult;
    let extra: Record<string, unknown> = {};
    if (job.meta.type === "network" && !signal.aborted) {
      // Its checks around the run take seconds: no point starting them for a job that
      // cannot run.
      if (!await journaled) return unjournaled();
      const outcome = await runNetworkJob(run, {
        connectivity: this.#deps.connectivity,
        clock: this.#ctx.io.clock,
        windowMs: config.network_check_s * 1000,
        pollMs: this.#deps.networkPollMs ?? 5_000,
        signal,
      });
      result = outcome.result;
      extra = { ...outcome.network };
      record.recovered = outcome.network.recovered;
    } else {
      result = await run();
      if (!await journaled) return unjournaled();
    }
    Object.assign(record, {
      exit_code: result.exitCode,
      duration_ms: Math.round(result.durationMs),
      truncated: result.truncated,
      output: result.output,
    });
    if (result.error) record.reason = result.error;
    this.#settle(record, resultReply(job, result, this.#replyCtx(), extra));
    this.#log.info("job finished", { id: job.id, state: outcomeOf(result), exit: result.exitCode });
  }

  /** Sends the final answer of an accepted job, then records and keeps it. */
  #settle(record: JobRecord, reply: JobReply): void {
    this.#deps.replies.send("result", reply);
    this.#keep(record, reply);
  }

  /** Records and keeps the final answer of an accepted job (sent by whoever decided it). */
  #keep(record: JobRecord, reply: JobReply): void {
    record.state = reply.event_type as JobState;
    if (typeof reply.reason === "string") record.reason = reply.reason;
    this.#ctx.counters.inc(COUNTER_OF[reply.event_type as Outcome | Refusal]);
    this.#history?.keep(record).catch((error) =>
      this.#log.warn("job history not written", { id: record.id, error })
    );
  }

  #argvOf(msg: string): { argv: string[] } | { error: string } {
    const allow = this.#ctx.config.jobs.allow;
    if (!allow) return { argv: ["/bin/sh", "-c", msg] };
    const parsed = parseArgv(msg);
    if ("error" in parsed) return parsed;
    const program = parsed.argv[0];
    if (allow.includes(program)) return parsed;
    return { error: `program not allowed: ${program} (jobs.allow: ${allow.join(", ")})` };
  }

  /** Answers a job that does not run (when its id is known), counts and logs it. */
  #refuse(id: string | undefined, refusal: Refusal, reason?: string): void {
    this.#ctx.counters.inc(COUNTER_OF[refusal]);
    // One line per kind of refusal a period, however many payloads of that kind come.
    const kind = `${refusal.toLowerCase()}${reason ? `: ${reason.split(":")[0]}` : ""}`;
    this.#refusals.note(kind, () => this.#log.warn(`job ${refusal.toLowerCase()}`, { id, reason }));
    if (id === undefined) return;
    this.#history?.remember({
      id,
      type: "",
      command: "",
      state: refusal,
      received: Math.floor(this.#ctx.io.clock.now() / 1000),
      ...(reason ? { reason } : {}),
    });
    this.#deps.replies.send("result", refusalReply(id, refusal, this.#replyCtx(), reason));
  }

  #track(work: Promise<void>): void {
    this.#busy.add(work);
    work.finally(() => this.#busy.delete(work));
  }

  #replyCtx() {
    return { app: this.#ctx.config.app, now: this.#ctx.io.clock.now() };
  }
}

/** A `sysupgrade` job as `job-info` shows it from the upgrade journal (after the reboot). */
function upgradeJobRecord(upgrade: UpgradeRecord): JobRecord {
  return {
    id: upgrade.id,
    type: UPGRADE_TYPE,
    command: "",
    state: upgrade.result?.event_type ?? "running",
    received: upgrade.accepted,
    reason: upgrade.result?.reason ?? `upgrade at ${upgrade.step}`,
  };
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
