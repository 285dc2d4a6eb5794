/**
 * What other capabilities ask of the connectivity watch: `network` jobs check before and
 * after they run, and have the link recovered when they broke it. The health capability
 * provides the real checks and recovery; tests pass fakes.
 */
import type { ExecResult } from "../io/exec.ts";

export interface ConnectivityReport {
  online: boolean;
  /** One short line per check: "tcp 192.0.2.1:53 ok 12ms", "route none". */
  details: string[];
}

export interface Connectivity {
  check(): Promise<ConnectivityReport>;
  /** Runs `recovery_cmd`; undefined when recovery is disabled (no permission for it). */
  recover(): Promise<ExecResult | undefined>;
}
