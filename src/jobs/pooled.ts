/**
 * One job of a pooled type (a command, a network change), from its DELIVERED on the wire
 * to its answer. Its type runs it; whatever happens, it gets exactly one answer.
 */
import type { Logger } from "../log/mod.ts";
import { outcomeOf, refusalReply, type ReplyRoute, resultReply } from "../replies/mod.ts";
import type { JobAnswers } from "./answers.ts";
import type { JobRecord } from "./history.ts";
import type { Job } from "./job.ts";
import type { PooledJobType, PoolRun } from "./job_type.ts";
import { failedResult } from "./outcome.ts";

/** An accepted job: its record, its journal write, and its DELIVERED on the wire. */
export interface Accepted {
  /** What `jobs` and `job-info` show of it. */
  record: JobRecord;
  /** Resolves true once its id is on disk, false when it could not be written. */
  journaled: Promise<boolean>;
  /** Resolves once DELIVERED is on the wire; undefined when it went within the call. */
  delivered: Promise<void> | undefined;
  /** MQTT 5: where else its replies go, and what they carry. */
  route?: ReplyRoute;
  /** Whether it may no longer start (its `expires`, its message's expiry). */
  lapsed(): boolean;
}

/** Runs `job` by its type with `plan`, and answers it. */
export async function runPooled(
  job: Job,
  accepted: Accepted,
  type: PooledJobType,
  plan: unknown,
  run: PoolRun,
  answers: JobAnswers,
  log: Logger,
): Promise<void> {
  const { record, delivered, route } = accepted;
  try {
    // Not even a microtask when DELIVERED went out within the call: the spawn then comes
    // before whatever the caller does next (the session arms its handler's timer).
    if (delivered) await delivered;
    if (accepted.lapsed()) {
      const why = "expired before it could start";
      return answers.settle(record, refusalReply(job.id, "EXPIRED", answers.context(), why), route);
    }
    record.state = "running";
    const outcome = await type.run(plan, run);
    if (outcome === "unjournaled") return answers.unjournaled(record, route);
    const { result, extra = {} } = outcome;
    Object.assign(record, outcome.record, {
      exit_code: result.exitCode,
      duration_ms: Math.round(result.durationMs),
      truncated: result.truncated,
      output: result.output,
    });
    if (result.error) record.reason = result.error;
    answers.settle(record, resultReply(job, result, answers.context(), extra), route);
    log.info("job finished", { id: job.id, state: outcomeOf(result), exit: result.exitCode });
  } catch (error) {
    // Exec never throws by contract; should anything else, the job still gets an answer.
    log.error("job failed unexpectedly", { id: job.id, error });
    answers.settle(record, resultReply(job, failedResult(error), answers.context()), route);
  }
}
