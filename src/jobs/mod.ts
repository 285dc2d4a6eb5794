/** Jobs: parsing, signing, the journal, the history, and the jobs capability. */
export { type Job, jobSchema, MAX_ID_LENGTH, MAX_MSG_BYTES, parseJob } from "./job.ts";
export { JobJournal } from "./journal.ts";
export { JobHistory, type JobRecord, type JobState } from "./history.ts";
export { type NetworkOutcome, runNetworkJob } from "./network.ts";
export { JobPool } from "./pool.ts";
export { JOB_COUNTERS, JobService, type JobServiceDeps } from "./service.ts";
export {
  canonicalJson,
  checkSignature,
  type RawJob,
  type SignatureSchemes,
  signJob,
  signJobLegacy,
} from "./signature.ts";
export { jobsSpec } from "./spec.ts";
