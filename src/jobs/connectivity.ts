/**
 * What `network` jobs ask of the connectivity watch: they check before and after they run,
 * and have the link recovered when they broke it. The health capability provides the real
 * checks and recovery (the agent's wiring hands it over); tests pass fakes.
 */
import type { ExecResult } from "../io/mod.ts";

/** One fresh round of checks, as a `network` job reports it. */
export interface ConnectivityReport {
  /** Whether the round was good (TCP probe or MQTT session). */
  online: boolean;
  /** One short line per check: "tcp 192.0.2.1:53 ok 12ms", "route none". */
  details: string[];
}

/** What `network` jobs ask of the connectivity watch. */
export interface Connectivity {
  /** Runs one round of checks now. */
  check(): Promise<ConnectivityReport>;
  /** Runs `recovery_cmd`; undefined when recovery is disabled (no permission for it). */
  recover(): Promise<ExecResult | undefined>;
}
