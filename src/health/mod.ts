/**
 * Connectivity watch, recovery ladder, boot and provisioning.
 *
 * The agent builds `new HealthCapability(ctx, deps)`; it is also the `Connectivity` that
 * `network` jobs ask (`check()`: one fresh round, no hysteresis). Its dependencies:
 * `mqttConnected` (the MQTT session as evidence of being online), `beforeReboot` (flush the
 * spool and the job journal), `agentStartedAt` (so a reload does not restart the 15 min
 * reboot grace). Provisioning (`-b URL`) is `provision()`, driven by `ledge run`.
 */
export { HEALTH_COUNTERS, HealthCapability, type HealthDeps } from "./capability.ts";
export type { Connectivity, ConnectivityReport } from "./connectivity.ts";
export { type DeviceIdentity, provision, readDeviceIdentity } from "./provision.ts";
