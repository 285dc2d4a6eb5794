/**
 * Segment bookkeeping as pure decisions: names, rotation size, which segments the cap
 * drops. The Spool does the file I/O around them.
 */

/** A segment rotates once it holds this much (SocketMan-era flash pages are small). */
export const SEGMENT_BYTES = 256 * 1024;

/** One segment file. */
export interface SegmentInfo {
  /** Position in the spool's history; higher is newer. */
  seq: number;
  /** Its size. */
  bytes: number;
  /** The records it holds. */
  records: number;
}

const NAME = /^(\d{12})\.ndjson$/;

export function segmentName(seq: number): string {
  return `${String(seq).padStart(12, "0")}.ndjson`;
}

/** The sequence number of a segment file name, or undefined for any other file. */
export function parseSegmentName(name: string): number | undefined {
  const match = NAME.exec(name);
  return match ? Number(match[1]) : undefined;
}

/**
 * The rotation size for a cap: 256 KiB, but at most a quarter of the cap, so that dropping
 * the oldest segment never throws away most of a small cache at once.
 */
export function segmentLimit(cap: number, preferred = SEGMENT_BYTES): number {
  return Math.max(1, Math.min(preferred, Math.floor(cap / 4)));
}

/** The oldest sealed segments to drop so that the total fits the cap again. */
export function segmentsOverCap(
  sealed: readonly SegmentInfo[],
  openBytes: number,
  cap: number,
): SegmentInfo[] {
  let total = sealed.reduce((n, s) => n + s.bytes, openBytes);
  const drop: SegmentInfo[] = [];
  for (const segment of sealed) {
    if (total <= cap) break;
    drop.push(segment);
    total -= segment.bytes;
  }
  return drop;
}

/** The oldest sealed segments for one read: the first always, more while within `maxBytes`. */
export function oldestWithin(sealed: readonly SegmentInfo[], maxBytes: number): SegmentInfo[] {
  const batch = sealed.slice(0, 1);
  let total = batch[0]?.bytes ?? 0;
  for (const segment of sealed.slice(1)) {
    if (total + segment.bytes > maxBytes) break;
    batch.push(segment);
    total += segment.bytes;
  }
  return batch;
}
