/**
 * The offline cache: records (any JSON value) appended as NDJSON to segment files in one
 * directory. Appends are batched to keep the flash write rate low; the open segment
 * rotates at `segmentBytes`; the total stays under `maxBytes` by dropping the OLDEST
 * segment. A reader takes the oldest sealed segments, streams their records, and acks
 * (deletes) them only once they were delivered. A restart resumes the segments in order and
 * never appends to an old one, so a torn tail stays at the end of its file.
 */
import {
  type Clock,
  denoFs,
  type FileHandle,
  type Fs,
  privateDir,
  systemClock,
} from "../io/mod.ts";
import { RecordScanner, type ScanTally } from "./records.ts";
import {
  oldestWithin,
  parseSegmentName,
  SEGMENT_BYTES,
  type SegmentInfo,
  segmentLimit,
  segmentName,
  segmentsOverCap,
} from "./segments.ts";

export type { SegmentInfo };

export interface SpoolOptions {
  dir: string;
  /** Total bytes of segments kept; the oldest go first. */
  maxBytes: number;
  /** Rotation size; capped at a quarter of `maxBytes`. Default 256 KiB. */
  segmentBytes?: number;
  /** A batch is written this long after its first record at the latest. Default 30 s. */
  batchMs?: number;
  /** ... or as soon as it holds this many bytes. Default 64 KiB. */
  batchBytes?: number;
  /** Segments set aside (rejected by a server) kept at most. Default 16. */
  maxRejected?: number;
  clock?: Clock;
  fs?: Fs;
  /** Called when the cap drops a segment, with the records it held. */
  onDrop?(records: number): void;
  /** Called when a read skipped a torn or corrupt line. */
  onDamage?(segment: string, tally: ScanTally): void;
}

/** A record the spool will not take: larger than one segment. */
export class RecordTooLarge extends Error {
  constructor(readonly bytes: number, readonly maxBytes: number) {
    super(`record of ${bytes} bytes is larger than the ${maxBytes} bytes a segment holds`);
  }
}

const REJECTED = "rejected";
const LOCK = ".lock";

/** The offline cache (see the module's comment). */
export class Spool {
  readonly #options: Required<Omit<SpoolOptions, "onDrop" | "onDamage">> & SpoolOptions;
  readonly #sealed: SegmentInfo[];
  #open: SegmentInfo;
  #batch: string[] = [];
  #batchBytes = 0;
  /** Lines of the batch being written now: held still, though neither on disk nor in the batch. */
  #writing = { records: 0, bytes: 0 };
  /** Every file operation runs in this chain, one at a time, in call order. */
  #queue: Promise<unknown> = Promise.resolve();
  #timer: AbortController | undefined;
  #closed = false;
  readonly #encoder = new TextEncoder();

  private constructor(
    options: SpoolOptions,
    sealed: SegmentInfo[],
    private readonly lock: FileHandle,
  ) {
    this.#options = {
      segmentBytes: SEGMENT_BYTES,
      batchMs: 30_000,
      batchBytes: 64 * 1024,
      maxRejected: 16,
      clock: systemClock,
      fs: denoFs,
      ...options,
    };
    this.#options.segmentBytes = segmentLimit(options.maxBytes, this.#options.segmentBytes);
    this.#sealed = sealed;
    this.#open = { seq: (sealed.at(-1)?.seq ?? 0) + 1, bytes: 0, records: 0 };
  }

  /** Opens (creating) the directory and resumes the segments found there, oldest first. */
  static async open(options: SpoolOptions): Promise<Spool> {
    const fs = options.fs ?? denoFs;
    await privateDir(options.dir, fs);
    // Two spools appending to the same segments would interleave their lines. The lock is
    // the kernel's (flock): a killed process never leaves it behind.
    const lock = await fs.open(`${options.dir}/${LOCK}`, {
      write: true,
      create: true,
      mode: 0o600,
    });
    if (!await lock.tryLock(true)) {
      lock.close();
      throw new Error(`cache_dir ${options.dir} is in use by another spool`);
    }
    try {
      return new Spool(options, await resume(fs, options.dir), lock);
    } catch (error) {
      lock.close();
      throw error;
    }
  }

  /** Records held: on disk, being written, and in the pending batch. */
  get records(): number {
    const unwritten = this.#writing.records + this.#batch.length;
    return this.#sealed.reduce((n, s) => n + s.records, this.#open.records + unwritten);
  }

  /** Bytes held: sealed segments, the open one, and the batch being or not yet written. */
  get bytes(): number {
    const unwritten = this.#writing.bytes + this.#batchBytes;
    return this.#sealed.reduce((n, s) => n + s.bytes, this.#open.bytes + unwritten);
  }

  /** Segments that hold records. */
  get segments(): number {
    return this.#sealed.length + (this.#open.bytes > 0 ? 1 : 0);
  }

  /**
   * The largest record the spool takes: a full-size segment (256 KiB, a quarter of the cap
   * at most), so that dropping one record never empties most of the cache.
   */
  get maxRecordBytes(): number {
    return segmentLimit(this.#options.maxBytes);
  }

  /**
   * Adds one record to the batch; it reaches the disk within `batchMs` (or `commit()`).
   * A record larger than `maxRecordBytes` is refused (RecordTooLarge), never written.
   */
  append(record: unknown): void {
    if (this.#closed) throw new Error("spool closed");
    const line = JSON.stringify(record);
    if (line === undefined || line.includes("\n")) throw new Error("record is not JSON");
    const bytes = this.#encoder.encode(line).length + 1;
    if (bytes > this.maxRecordBytes) throw new RecordTooLarge(bytes, this.maxRecordBytes);
    this.#batch.push(line);
    this.#batchBytes += bytes;
    if (this.#batchBytes >= this.#options.batchBytes) void this.commit().catch(() => {});
    else this.#armTimer();
  }

  /** Writes the pending batch to disk (and syncs it). */
  commit(): Promise<void> {
    return this.#serial(() => this.#writeBatch());
  }

  /**
   * The oldest segments ready to send (at least one when there is data; more while their
   * total stays within `maxBytes`), after writing the batch. The open segment is sealed
   * for it only when nothing older waits, so an outage does not fragment the cache.
   */
  oldest(maxBytes = 0): Promise<SegmentInfo[]> {
    return this.#serial(async () => {
      // A disk too full for the batch must not stop the upload that frees it: the batch
      // stays in memory (or is dropped and counted) and what is on disk goes.
      await this.#writeBatch().catch(() => {});
      if (this.#sealed.length === 0 && this.#open.bytes > 0) this.#seal();
      return oldestWithin(this.#sealed, maxBytes);
    });
  }

  /**
   * Reads a segment from disk and hands its valid records, as NDJSON bytes, to `consume`.
   * The bytes are a view into one reused buffer: use them before the promise `consume`
   * returns resolves (a CompressionStream writer does). A segment already gone reads empty.
   */
  async readRecords(
    segment: SegmentInfo,
    consume: (ndjson: Uint8Array) => void | Promise<void>,
  ): Promise<void> {
    const name = segmentName(segment.seq);
    const tally = await scanFile(this.#options.fs, `${this.#options.dir}/${name}`, consume);
    if (tally && (tally.torn || tally.corrupt)) this.#options.onDamage?.(name, tally);
  }

  /** Deletes a delivered segment; returns the records it held (0 if already gone). */
  ack(segment: SegmentInfo): Promise<number> {
    return this.#serial(async () => {
      if (!this.#forget(segment)) return 0;
      await this.#options.fs.remove(this.#path(segment.seq)).catch(ignoreNotFound);
      return segment.records;
    });
  }

  /** Moves a segment a server refused into `rejected/` (oldest beyond the cap deleted). */
  setAside(segment: SegmentInfo): Promise<number> {
    return this.#serial(async () => {
      if (!this.#forget(segment)) return 0;
      const { fs } = this.#options;
      const dir = `${this.#options.dir}/${REJECTED}`;
      await fs.mkdir(dir, { recursive: true, mode: 0o700 });
      await fs.rename(this.#path(segment.seq), `${dir}/${segmentName(segment.seq)}`)
        .catch(ignoreNotFound);
      const kept = (await fs.readDir(dir)).sort();
      for (const old of kept.slice(0, Math.max(0, kept.length - this.#options.maxRejected))) {
        await fs.remove(`${dir}/${old}`).catch(ignoreNotFound);
      }
      return segment.records;
    });
  }

  /** Writes what is pending and lets the directory go; further appends are refused. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#timer?.abort();
    try {
      await this.commit();
    } finally {
      this.lock.close();
    }
  }

  /** Closes it (`await using`). */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #armTimer(): void {
    if (this.#timer) return;
    const timer = this.#timer = new AbortController();
    this.#options.clock.sleep(this.#options.batchMs, timer.signal).then(
      () => this.commit(),
      () => {}, // aborted: the batch was written by someone else
    ).catch(() => {});
  }

  async #writeBatch(): Promise<void> {
    this.#timer?.abort();
    this.#timer = undefined;
    const lines = this.#batch;
    this.#writing = { records: lines.length, bytes: this.#batchBytes };
    this.#batch = [];
    this.#batchBytes = 0;
    try {
      await this.#writeLines(lines);
    } finally {
      // Written, back in the batch, or dropped and counted.
      this.#writing = { records: 0, bytes: 0 };
    }
  }

  /** One write (and sync) per segment the lines touch; it rotates between lines. */
  async #writeLines(lines: string[]): Promise<void> {
    let start = 0;
    while (start < lines.length) {
      let end = start;
      let bytes = 0;
      const room = this.#options.segmentBytes - this.#open.bytes;
      while (end < lines.length) {
        const size = this.#encoder.encode(lines[end]).length + 1;
        if (bytes + size > room && (end > start || this.#open.bytes > 0)) break;
        bytes += size;
        end++;
      }
      if (end === start) {
        this.#seal();
        continue;
      }
      await this.#writeGroup(lines.slice(start, end), bytes, lines.slice(end));
      start = end;
    }
  }

  async #writeGroup(lines: string[], bytes: number, rest: string[]): Promise<void> {
    try {
      await this.#appendToOpen(this.#encoder.encode(lines.join("\n") + "\n"));
    } catch (error) {
      // A write cut short (ENOSPC) may have left whole lines and a fragment: cut the file
      // back to what is counted, so that a line is on disk or in the batch, never both.
      await this.#cutBack();
      // Never append after a cut that may have failed, and keep the batch (unless it grew
      // past what memory should hold while the disk refuses writes).
      if (this.#open.bytes > 0) this.#seal();
      else this.#open = { seq: this.#open.seq + 1, bytes: 0, records: 0 };
      const unwritten = [...lines, ...rest];
      const unwrittenBytes = unwritten.reduce((n, l) => n + this.#encoder.encode(l).length + 1, 0);
      if (unwrittenBytes + this.#batchBytes <= this.#options.segmentBytes) {
        this.#batch = [...unwritten, ...this.#batch];
        this.#batchBytes += unwrittenBytes;
      } else {
        this.#options.onDrop?.(unwritten.length);
      }
      throw error;
    }
    this.#open.bytes += bytes;
    this.#open.records += lines.length;
    this.#writing.bytes -= bytes;
    this.#writing.records -= lines.length;
    await this.#enforceCap();
  }

  async #appendToOpen(data: Uint8Array): Promise<void> {
    const file = await this.#options.fs.open(this.#path(this.#open.seq), {
      append: true,
      create: true,
      mode: 0o600,
    });
    try {
      for (let at = 0; at < data.length;) at += await file.write(data.subarray(at));
      await file.syncData();
    } finally {
      file.close();
    }
  }

  async #cutBack(): Promise<void> {
    const path = this.#path(this.#open.seq);
    const { fs } = this.#options;
    const cut = this.#open.bytes > 0 ? fs.truncate(path, this.#open.bytes) : fs.remove(path);
    await cut.catch(() => {}); // left as it is, a fragment is skipped as torn by readers
  }

  async #enforceCap(): Promise<void> {
    for (const segment of segmentsOverCap(this.#sealed, this.#open.bytes, this.#options.maxBytes)) {
      this.#forget(segment);
      await this.#options.fs.remove(this.#path(segment.seq)).catch(ignoreNotFound);
      this.#options.onDrop?.(segment.records);
    }
  }

  #seal(): void {
    this.#sealed.push(this.#open);
    this.#open = { seq: this.#open.seq + 1, bytes: 0, records: 0 };
  }

  #forget(segment: SegmentInfo): boolean {
    const index = this.#sealed.findIndex((s) => s.seq === segment.seq);
    if (index === -1) return false;
    this.#sealed.splice(index, 1);
    return true;
  }

  #path(seq: number): string {
    return `${this.#options.dir}/${segmentName(seq)}`;
  }

  #serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work);
    this.#queue = run.catch(() => {});
    return run;
  }
}

/** The segments a previous run left, oldest first, with their records counted. */
async function resume(fs: Fs, dir: string): Promise<SegmentInfo[]> {
  const found: number[] = [];
  for (const name of await fs.readDir(dir)) {
    const seq = parseSegmentName(name);
    if (seq !== undefined) found.push(seq);
  }
  found.sort((a, b) => a - b);
  const sealed: SegmentInfo[] = [];
  for (const seq of found) {
    const path = `${dir}/${segmentName(seq)}`;
    const size = await fs.size(path);
    const tally = await scanFile(fs, path, () => {});
    if (size > 0) sealed.push({ seq, bytes: size, records: tally?.records ?? 0 });
    else await fs.remove(path);
  }
  return sealed;
}

const READ_BUFFER_BYTES = 64 * 1024;

/**
 * Scans a segment file through one reused buffer: reading 100 MB of cache allocates almost
 * nothing, so RSS stays flat without waiting for a GC. Undefined when the file is gone.
 */
async function scanFile(
  fs: Fs,
  path: string,
  consume: (ndjson: Uint8Array) => void | Promise<void>,
): Promise<ScanTally | undefined> {
  const file = await fs.open(path, { read: true }).catch(ignoreNotFound);
  if (!file) return undefined;
  const scanner = new RecordScanner();
  const buffer = new Uint8Array(READ_BUFFER_BYTES);
  try {
    for (let n = await file.read(buffer); n !== null; n = await file.read(buffer)) {
      for (const run of scanner.scan(buffer.subarray(0, n))) await consume(run);
    }
  } finally {
    file.close();
  }
  scanner.end();
  return scanner.tally;
}

function ignoreNotFound(error: unknown): undefined {
  if (!(error instanceof Deno.errors.NotFound)) throw error;
}
