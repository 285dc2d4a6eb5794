/** Jobs: parsing, signing, the journal, the history, and the jobs capability. */
export type { JobRecord, JobState } from "./history.ts";
export { JobService } from "./service.ts";
export { checkSignature, type RawJob, type SignatureSchemes } from "./signature.ts";
export { jobsSpec } from "./spec.ts";
