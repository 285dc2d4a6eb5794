/**
 * `network` jobs: a command that may break the link (a config change, a restart) is
 * checked before and after, and when it broke a working link, the health capability runs
 * `recovery_cmd` (the same step its recovery ladder takes).
 */
import type { Connectivity } from "./connectivity.ts";
import type { Clock, ExecResult } from "../io/mod.ts";

export interface NetworkCheck {
  connectivity: Connectivity;
  clock: Clock;
  /** How long the link may take to come back after the job (`network_check_s`). */
  windowMs: number;
  pollMs: number;
  /** A cancelled job (or a stopping agent) stops waiting and recovers nothing. */
  signal?: AbortSignal;
}

export interface NetworkOutcome {
  online_before: boolean;
  online_after: boolean;
  /** Present when recovery ran: whether the link came back after it. */
  recovered?: boolean;
}

/** Runs a network job between connectivity checks, recovering a link it broke. */
export async function runNetworkJob(
  run: () => Promise<ExecResult>,
  check: NetworkCheck,
): Promise<{ result: ExecResult; network: NetworkOutcome }> {
  const before = await isOnline(check.connectivity);
  const result = await run();
  const after = await onlineWithin(check);
  if (!before || after || check.signal?.aborted) {
    return { result, network: { online_before: before, online_after: after } };
  }
  const recovery = await check.connectivity.recover();
  const recovered = recovery !== undefined && await onlineWithin(check);
  return { result, network: { online_before: true, online_after: false, recovered } };
}

async function isOnline(connectivity: Connectivity): Promise<boolean> {
  try {
    return (await connectivity.check()).online;
  } catch {
    return false;
  }
}

async function onlineWithin(check: NetworkCheck): Promise<boolean> {
  const deadline = check.clock.monotonic() + check.windowMs;
  for (;;) {
    if (await isOnline(check.connectivity)) return true;
    const left = deadline - check.clock.monotonic();
    if (left <= 0 || check.signal?.aborted) return false;
    await check.clock.sleep(Math.min(check.pollMs, left), check.signal).catch(() => {});
  }
}
