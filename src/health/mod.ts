export { HEALTH_COUNTERS, HealthCapability, type HealthDeps } from "./capability.ts";
export type { Connectivity, ConnectivityReport } from "./connectivity.ts";
