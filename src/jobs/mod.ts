/** Jobs: parsing, the journal, the history, the job types, and the jobs capability. */
export { COMMAND_TYPE, commandJobs, networkJobs, type NetworkJobsDeps } from "./command.ts";
export type { Connectivity, ConnectivityReport } from "./connectivity.ts";
export type { JobRecord, JobState } from "./history.ts";
export type { Job } from "./job.ts";
export type {
  JobType,
  OwnJobType,
  OwnRun,
  PooledJobType,
  PoolRun,
  RunOutcome,
} from "./job_type.ts";
export { JobsCapability, type JobsDeps } from "./capability.ts";
export { jobsSpec } from "./spec.ts";
