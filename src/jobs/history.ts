/**
 * The last jobs and what became of them, for `jobs` and `job-info`, kept across restarts:
 * each final record is appended to `jobs.history` in `state_dir` (its output cut to a
 * short tail: the whole output went out in the reply), and the file is compacted when it
 * holds twice what is kept. Appends are not synced: one fsync per job is the journal's.
 */
import { type Fs, JsonLinesFile } from "../io/mod.ts";
import type { Outcome, Refusal } from "../replies/mod.ts";

export const HISTORY_FILE = "jobs.history";
/** The output a record keeps on disk; the reply carried all of it. */
export const HISTORY_OUTPUT_MAX = 4096;

/** `unknown`: accepted before a restart, with no result recorded. */
export type JobState = "queued" | "running" | "unknown" | Outcome | Refusal;

/** One job as the control commands show it. */
export interface JobRecord {
  /** The job's id. */
  id: string;
  /** `shell`, `network` … */
  type: string;
  /** `meta.msg`, the command it ran. */
  command: string;
  /** Where it is, or how it ended. */
  state: JobState;
  /** Wall-clock seconds. */
  received: number;
  /** Why it was refused or failed. */
  reason?: string;
  /** The exit code; null when killed or never started. */
  exit_code?: number | null;
  /** How long it ran. */
  duration_ms?: number;
  /** Whether its output was cut. */
  truncated?: boolean;
  /** The tail of its output (at most 4 KiB on disk). */
  output?: string;
  /** For `network` jobs: whether recovery brought the link back. */
  recovered?: boolean;
}

function isRecord(value: unknown): value is JobRecord {
  const r = value as JobRecord;
  return typeof r === "object" && r !== null && typeof r.id === "string" &&
    typeof r.state === "string" && typeof r.received === "number";
}

/** The record as it is kept on disk: the output's tail only. */
function stored(record: JobRecord): JobRecord {
  const output = record.output;
  if (output === undefined || output.length <= HISTORY_OUTPUT_MAX) return { ...record };
  return { ...record, output: output.slice(-HISTORY_OUTPUT_MAX), truncated: true };
}

export class JobHistory {
  #records: JobRecord[] = [];
  #lines = 0;
  #writes: Promise<void> = Promise.resolve();
  readonly #file: JsonLinesFile;

  private constructor(path: string, readonly max: number, fs?: Fs) {
    // Not synced: a record lost to a power cut only leaves `job-info` saying "unknown".
    this.#file = new JsonLinesFile(path, fs, { sync: false });
  }

  /** Opens the history in `dir` with the records a previous run left. */
  static async open(dir: string, max: number, fs?: Fs): Promise<JobHistory> {
    const history = new JobHistory(`${dir}/${HISTORY_FILE}`, max, fs);
    const { values, skipped } = await history.#file.read();
    history.#records = values.filter(isRecord).slice(-max);
    history.#lines = values.length + skipped;
    return history;
  }

  /** Newest first, without outputs. */
  list(limit = this.max): JobRecord[] {
    return this.#records.slice(-limit).reverse().map(({ output: _, ...summary }) => summary);
  }

  /** The newest record of this id, with its output. */
  find(id: string): JobRecord | undefined {
    return this.#records.findLast((r) => r.id === id);
  }

  /** Tracks a record in memory (a queued or running job changes it as it goes). */
  remember(record: JobRecord): void {
    this.#records.push(record);
    if (this.#records.length > this.max) this.#records.shift();
  }

  /** Writes a record's final state; a failed write is the caller's to log, never a throw. */
  keep(record: JobRecord): Promise<void> {
    const write = this.#writes.then(async () => {
      if (this.#lines >= 2 * this.max) {
        const final = this.#records.filter((r) => r.state !== "queued" && r.state !== "running");
        await this.#file.rewrite(final.map(stored));
        this.#lines = final.length;
      } else {
        await this.#file.append([stored(record)]);
        this.#lines++;
      }
    });
    this.#writes = write.catch(() => {});
    return write;
  }

  async close(): Promise<void> {
    await this.#writes;
    this.#file.close();
  }
}
