/** The collectors' face: what the agent and the CLI import. */
export { boundSample } from "./bound.ts";
export { CollectCapability, type Collection } from "./capability.ts";
export { LastSampleSink } from "./last_sample_sink.ts";

export type {
  Device,
  DhcpLease,
  InterfaceCounters,
  NetInterface,
  Sample,
  Ssid,
  Station,
  SurveyEntry,
} from "./sample.ts";
export type { SampleSink } from "./sink.ts";
export { type CollectDeps, collectNeeds, collectSpec } from "./spec.ts";
