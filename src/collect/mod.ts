/** The collectors' face: what the agent and the CLI import. */
export type { Parsed } from "./_parse.ts";
export { boundSample } from "./bound.ts";
export { type Collection, Collector } from "./collector.ts";
export { LastSampleSink } from "./last_sample_sink.ts";
export { type DefaultRoute, parseProcNetRoute } from "./proc_net_route.ts";
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
export { collectNeeds, collectSpec, statsSink } from "./spec.ts";
