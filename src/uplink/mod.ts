/** The stats upload: the uplink capability and the pieces it is made of. */
export { UPLINK_COUNTERS, UplinkCapability } from "./capability.ts";
export { statsSink, uplinkSpec } from "./spec.ts";
export { Uploader, type UploadReport } from "./uploader.ts";
export { StatsPoster } from "./poster.ts";
