/**
 * Whether a parsed job runs, decided without I/O from what the jobs capability knows at
 * that moment. The order is the contract: a stopping agent answers BUSY before anything is
 * checked; a bad signature is REJECTED before its expiry is believed; a duplicate is found
 * before the type looks at it; and a full pool is BUSY last, so that a refused job is never
 * counted as one that waits.
 */
import type { Refusal } from "../replies/mod.ts";
import type { RawJob } from "../signing/mod.ts";
import type { Job } from "./job.ts";
import type { JobType } from "./job_type.ts";

/** What admission knows beside the job. */
export interface AdmissionState {
  /** The agent is stopping. */
  stopping: boolean;
  /** Why the signature is refused, when jobs must be signed (checked before). */
  badSignature?: string;
  /** Wall-clock ms now. */
  now: number;
  /** Whether the journal is open; what it holds otherwise. */
  journal: { has(id: string): boolean } | undefined;
  /** Whether the pool has room for one more job. */
  poolRoom: boolean;
}

/** The job runs by its type with `plan`, or is answered `refusal` with `reason`. */
export type AdmissionDecision =
  | { ok: true; plan: unknown }
  | { ok: false; refusal: Refusal; reason?: string };

/** Whether the job's own `expires` (unix seconds) is past at `nowMs`. */
export function pastExpires(job: Job, nowMs: number): boolean {
  return job.expires !== undefined && job.expires * 1000 < nowMs;
}

/**
 * The decision for `job` of type `type`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const type = { type: "command", admit: () => ({ ok: true as const, value: ["true"] }) };
 * const job = { id: "j1", meta: { msg: "true" }, expires: 1 };
 * const state = { stopping: false, now: 5_000, journal: new Set<string>(), poolRoom: true };
 * assert.deepEqual(decide(job, job, type as never, state), { ok: false, refusal: "EXPIRED", reason: "expired" });
 * ```
 */
export function decide(
  job: Job,
  raw: RawJob,
  type: JobType,
  state: AdmissionState,
): AdmissionDecision {
  const refuse = (refusal: Refusal, reason?: string) => ({ ok: false as const, refusal, reason });
  if (state.stopping) return refuse("BUSY", "stopping");
  if (state.badSignature) return refuse("REJECTED", state.badSignature);
  if (pastExpires(job, state.now)) return refuse("EXPIRED", "expired");
  if (!state.journal) return refuse("BUSY", "not started");
  if (state.journal.has(job.id)) return refuse("DUPLICATE");
  const admitted = type.admit(job, raw);
  if (!admitted.ok) return refuse("REJECTED", admitted.reason);
  if (type.pooled && !state.poolRoom) return refuse("BUSY", "queue full");
  return { ok: true, plan: admitted.value };
}
