/** The offline cache: segments of NDJSON samples in `cache_dir`, and the spool capability. */
export { SpoolCapability } from "./capability.ts";
export { RecordScanner, type ScanTally } from "./records.ts";
export { SEGMENT_BYTES, type SegmentInfo } from "./segments.ts";
export { spoolSpec } from "./spec.ts";
export { Spool } from "./spool.ts";
