export { parseArgv } from "./argv.ts";
export { type Job, jobSchema, MAX_ID_LENGTH, MAX_MSG_BYTES, parseJob } from "./job.ts";
export { JobJournal } from "./journal.ts";
export { type NetworkOutcome, runNetworkJob, tcpConnectivity } from "./network.ts";
export { JobPool } from "./pool.ts";
export type { JobReply, ReplyChannel, ReplyKind } from "./reply.ts";
export {
  deliveredReply,
  outcomeOf,
  refusalReply,
  type RestResult,
  resultReply,
  toRestResult,
} from "./replies.ts";
export { JOB_COUNTERS, type JobRecord, JobService, type JobServiceDeps } from "./service.ts";
export { checkSignature, signJob } from "./signature.ts";
