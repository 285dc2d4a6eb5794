export { SpoolCapability } from "./capability.ts";
export { type SegmentInfo, Spool, type SpoolOptions } from "./spool.ts";
export { RecordScanner, type ScanTally } from "./records.ts";
