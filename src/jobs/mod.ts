/** Jobs: parsing, the journal, the history, and the jobs capability. */
export type { JobRecord, JobState } from "./history.ts";
export { JobService } from "./service.ts";
export { jobsSpec } from "./spec.ts";
