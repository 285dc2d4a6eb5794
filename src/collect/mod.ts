/** The collectors' face: what the agent and the CLI import. */
export {
  COLLECT_COUNTERS,
  type Collection,
  Collector,
  type CollectorOptions,
} from "./collector.ts";
export { LastSampleSink } from "./last_sample_sink.ts";
export type { Sample, SampleSink } from "./sink.ts";
export type { Part, Source, SourceContext, SourceNeeds } from "./source.ts";
export { defaultSources } from "./sources.ts";
export { collectNeeds, collectSpec } from "./spec.ts";
