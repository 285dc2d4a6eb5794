/**
 * A job's type: what `meta.type` names, how its jobs are checked, and how they run. The jobs
 * capability knows none by name: `command` and `network` come from this folder,
 * `sysupgrade` from upgrade/, each handed to it by the agent's wiring, as middleware is
 * registered with a server. Admission is decided before anything is journaled.
 */
import type { ExecResult } from "../io/mod.ts";
import type { JobReply, ReplyRoute } from "../replies/mod.ts";
import type { Result } from "../result.ts";
import type { RawJob } from "../signing/mod.ts";
import type { JobRecord } from "./history.ts";
import type { Job } from "./job.ts";

/** What the jobs capability gives a job its type runs in the pool. */
export interface PoolRun {
  /**
   * Runs `argv` under the job's limits (timeout, output cap, cancel). A shell is started at
   * once and waits for the id to be on disk; any other program starts after.
   */
  exec(argv: string[]): Promise<ExecResult>;
  /** Resolves true once the id is on disk, false when it could not be written. */
  journaled: Promise<boolean>;
  /** Aborts on cancel or shutdown. */
  signal: AbortSignal;
}

/** How a pooled job ended: its result, and what its reply and its record carry beside it. */
export interface RunOutcome {
  /** How the program ended. */
  result: ExecResult;
  /** Fields of the reply beside the result's. */
  extra?: Record<string, unknown>;
  /** Fields of the job's record (`job-info`). */
  record?: Partial<JobRecord>;
}

/** A type whose jobs run in the pool, at most `job_concurrency` at once. */
export interface PooledJobType<P = unknown> {
  /** The `meta.type` it takes. */
  readonly type: string;
  /** Runs in the pool. */
  readonly pooled: true;
  /** Its plan for the job, or why the job must not run. */
  admit(job: Job, raw: RawJob): Result<P>;
  /** Runs it once admitted; "unjournaled" when its id never reached the disk (nothing ran). */
  run(plan: P, run: PoolRun): Promise<RunOutcome | "unjournaled">;
}

/** What the jobs capability gives a job its type runs on its own. */
export interface OwnRun {
  /** Resolves true once the id is on disk, false when it could not be written. */
  journaled: Promise<boolean>;
  /** Resolves once the job's DELIVERED is on the wire. */
  delivered: Promise<void>;
  /** Where it stands, for `job-info`. */
  note(reason: string): void;
  /** Its final answer, sent by the type. */
  settled(reply: JobReply): void;
  /** Answers REJECTED `journal unavailable`: its id never reached the disk. */
  unjournaled(): void;
  /** MQTT 5: where else its replies go, and what they carry. */
  route?: ReplyRoute;
}

/** A type whose jobs run on their own, outside the pool (an upgrade waits for its window). */
export interface OwnJobType<P = unknown> {
  /** The `meta.type` it takes. */
  readonly type: string;
  /** Runs on its own. */
  readonly pooled: false;
  /** Its plan for the job, or why the job must not run. */
  admit(job: Job, raw: RawJob): Result<P>;
  /** Takes the job at once (a second is refused from now); its run goes on after this returns. */
  start(plan: P, job: Job, run: OwnRun): void;
  /** What it knows of job `id` that the history does not (after a reboot, say). */
  info?(id: string): JobRecord | undefined;
  /** Cancels its job `id`; false when it runs no such job, or no longer can. */
  cancel?(id: string): boolean;
}

/** A job type. */
export type JobType = PooledJobType | OwnJobType;
