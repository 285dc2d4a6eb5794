/** How the jobs count what became of them, and the results of jobs that never ran. */
import type { ExecResult } from "../io/mod.ts";
import type { Outcome, Refusal } from "../replies/mod.ts";

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

/** The counter of each final answer. */
export const COUNTER_OF: Record<Outcome | Refusal, (typeof JOB_COUNTERS)[number]> = {
  PROCESSED: "jobs-succeeded",
  FAILED: "jobs-failed",
  TIMEOUT: "jobs-timeout",
  CANCELLED: "jobs-cancelled",
  REJECTED: "jobs-rejected",
  DUPLICATE: "jobs-duplicate",
  EXPIRED: "jobs-expired",
  BUSY: "jobs-busy",
};

const NOT_RUN: ExecResult = {
  exitCode: null,
  output: "",
  stderr: "",
  truncated: false,
  timedOut: false,
  cancelled: false,
  durationMs: 0,
};

/** A job cancelled before its program started. */
export function cancelledBeforeStart(): ExecResult {
  return { ...NOT_RUN, cancelled: true };
}

/** A job whose run failed before it could say how its program ended. */
export function failedResult(error: unknown): ExecResult {
  return { ...NOT_RUN, error: error instanceof Error ? error.message : String(error) };
}
