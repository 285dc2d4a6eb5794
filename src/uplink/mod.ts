/** The stats upload: the uplink capability and the pieces it is made of. */
export { UplinkCapability, type UplinkDeps } from "./capability.ts";
export type { Verdict } from "./policy.ts";
export { type PostBody, type PostResult, StatsPoster } from "./poster.ts";
export { uplinkSpec } from "./spec.ts";
export { Uploader, type UploadReport } from "./uploader.ts";
