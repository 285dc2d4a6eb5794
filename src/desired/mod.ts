/** Desired state over MQTT: parsing and rules, the journal, UCI, and the `desired` capability. */
export { type Desired, type ParsedDesired, parseDesired } from "./desired.ts";
export { DesiredCapability, type DesiredDeps } from "./capability.ts";
export { desiredOff, desiredSpec } from "./spec.ts";
export type { Report } from "./store.ts";
