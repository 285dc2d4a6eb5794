/**
 * Connectivity watch, recovery ladder and boot.
 *
 * The health capability is also the `Connectivity` that `network` jobs ask: `check()` runs
 * one fresh round (no hysteresis), `recover()` runs `recovery_cmd` as the ladder would.
 */
export { HealthCapability } from "./capability.ts";
export type { Connectivity, ConnectivityReport } from "./connectivity.ts";
export type { LadderStep, StepKind } from "./ladder.ts";
export { connectivityOf, healthSpec } from "./spec.ts";
