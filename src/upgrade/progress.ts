/**
 * DOWNLOADING's progress: sent at each quarter of the image, or every 8 MiB when the server
 * gave no size. Pure: bytes and total in, the step and its event out.
 */

/** Without a size, one DOWNLOADING every this many bytes. */
export const PROGRESS_STEP_BYTES = 8 * 1024 * 1024;

/** One DOWNLOADING event: its message for people, and its figures. */
export interface ProgressEvent {
  msg: string;
  fields: { progress?: number; bytes: number; total?: number };
}

/**
 * Which step `bytes` are at: the quarter of `total`, or the 8 MiB block.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(progressStep(50, 100), 2);
 * assert.equal(progressStep(9 * 1024 * 1024, undefined), 1);
 * ```
 */
export function progressStep(bytes: number, total: number | undefined): number {
  return total ? Math.floor((bytes / total) * 4) : Math.floor(bytes / PROGRESS_STEP_BYTES);
}

/**
 * The event for `bytes` of `total`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(progressEvent(25, 100), {
 *   msg: "downloading 25%",
 *   fields: { progress: 25, bytes: 25, total: 100 },
 * });
 * ```
 */
export function progressEvent(bytes: number, total: number | undefined): ProgressEvent {
  if (!total) return { msg: `downloading ${bytes} bytes`, fields: { bytes } };
  const progress = Math.floor((bytes / total) * 100);
  return { msg: `downloading ${progress}%`, fields: { progress, bytes, total } };
}
