/** The offline cache: segments of NDJSON samples in `cache_dir`, and the spool capability. */
export { SPOOL_COUNTERS, SpoolCapability } from "./capability.ts";
export { RecordTooLarge, type SegmentInfo, Spool, type SpoolOptions } from "./spool.ts";
export { RecordScanner, type ScanTally } from "./records.ts";
export { spoolSpec } from "./spec.ts";
