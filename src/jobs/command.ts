/**
 * The job types that run a command in the pool: `command` (SocketMan's, and any type no
 * other claims) and `network` (the same command, checked before and after, the link
 * recovered when it broke it). `meta.msg` runs as `/bin/sh -c`, as SocketMan ran it; with
 * `jobs.allow` it is split into words without a shell and its program must be listed.
 */
import type { Clock } from "../io/mod.ts";
import { parseArgv } from "../io/mod.ts";
import type { Result } from "../result.ts";
import type { Connectivity } from "./connectivity.ts";
import type { PooledJobType } from "./job_type.ts";
import type { Job } from "./job.ts";
import { runNetworkJob } from "./network.ts";

/** The type any `meta.type` falls to that no other type takes. */
export const COMMAND_TYPE = "command";

/**
 * How `msg` runs: `/bin/sh -c msg`, or with an allow-list its words, when their program is
 * on it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(commandArgv("uptime", undefined), {
 *   ok: true,
 *   value: ["/bin/sh", "-c", "uptime"],
 * });
 * assert.equal(commandArgv("rm -rf /", ["/bin/echo"]).ok, false);
 * ```
 */
export function commandArgv(
  msg: string,
  allow: readonly string[] | undefined,
): Result<string[]> {
  if (!allow) return { ok: true, value: ["/bin/sh", "-c", msg] };
  const parsed = parseArgv(msg);
  if (!parsed.ok) return parsed;
  const program = parsed.value[0];
  if (allow.includes(program)) return parsed;
  return { ok: false, reason: `program not allowed: ${program} (jobs.allow: ${allow.join(", ")})` };
}

/** `command` jobs; `allow` gives `jobs.allow` as the config says now. */
export function commandJobs(allow: () => readonly string[] | undefined): PooledJobType<string[]> {
  return {
    type: COMMAND_TYPE,
    pooled: true,
    admit: (job: Job) => commandArgv(job.meta.msg, allow()),
    run: async (argv, run) => {
      const result = await run.exec(argv);
      return await run.journaled ? { result } : "unjournaled";
    },
  };
}

/** What `network` jobs check with, and how long the link may take to come back. */
export interface NetworkJobsDeps {
  /** The checks before and after, and the recovery when the link does not come back. */
  connectivity: Connectivity;
  /** Times the window after the job. */
  clock: Clock;
  /** `jobs.allow` as the config says now. */
  allow(): readonly string[] | undefined;
  /** `network_check_s`, in ms, as the config says now. */
  windowMs(): number;
  /** Between checks after the job (default 5 s). */
  pollMs?: number;
}

/** `network` jobs: a command between connectivity checks. */
export function networkJobs(deps: NetworkJobsDeps): PooledJobType<string[]> {
  return {
    type: "network",
    pooled: true,
    admit: (job: Job) => commandArgv(job.meta.msg, deps.allow()),
    run: async (argv, run) => {
      // Its checks take seconds: none for a job whose id never reached the disk.
      if (run.signal.aborted) return { result: await run.exec(argv) };
      if (!await run.journaled) return "unjournaled";
      const outcome = await runNetworkJob(() => run.exec(argv), {
        connectivity: deps.connectivity,
        clock: deps.clock,
        windowMs: deps.windowMs(),
        pollMs: deps.pollMs ?? 5_000,
        signal: run.signal,
      });
      return {
        result: outcome.result,
        extra: { ...outcome.network },
        record: { recovered: outcome.network.recovered },
      };
    },
  };
}
