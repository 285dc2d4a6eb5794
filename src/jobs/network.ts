/**
 * `network` jobs: a command that may break the link (a config change, a restart) is
 * checked before and after, and when it broke a working link, `recovery_cmd` runs.
 */
import type { Config } from "../config/mod.ts";
import { healthTarget } from "../config/permissions.ts";
import type { Connectivity } from "../health/connectivity.ts";
import type { Clock } from "../io/clock.ts";
import type { ExecResult } from "../io/exec.ts";
import type { Net } from "../io/net.ts";

export interface NetworkCheck {
  connectivity: Connectivity;
  clock: Clock;
  /** How long the link may take to come back after the job (`network_check_s`). */
  windowMs: number;
  pollMs: number;
  /** Runs `recovery_cmd`. */
  recover(): Promise<ExecResult>;
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
  await check.recover();
  const recovered = await onlineWithin(check);
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

/**
 * A stand-in for the health capability's checks: a TCP connect to the health target
 * (`health_url`:`health_port`, else the broker). Without a target the link is assumed up,
 * so nothing is "recovered" that cannot be checked.
 */
export function tcpConnectivity(config: Config, net: Net, timeoutMs = 3_000): Connectivity {
  const target = healthTarget(config);
  return {
    async check() {
      if (!target) return { online: true, details: ["no health target"] };
      const probe = await net.tcpProbe(target.host, target.port, timeoutMs);
      const state = probe.ok ? `ok ${Math.round(probe.ms)}ms` : `failed ${probe.error ?? ""}`;
      return { online: probe.ok, details: [`tcp ${target.host}:${target.port} ${state}`.trim()] };
    },
  };
}
