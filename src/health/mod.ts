/**
 * Connectivity watch, recovery ladder and boot.
 *
 * The health capability also answers what `network` jobs and desired states ask: `check()`
 * runs one fresh round (no hysteresis), `recover()` runs `recovery_cmd` as the ladder would.
 */
export { HealthCapability, type HealthDeps, type HealthOptions } from "./capability.ts";
export type { LadderStep, StepKind } from "./ladder.ts";
export { healthSpec } from "./spec.ts";
