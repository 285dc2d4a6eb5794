/**
 * The record of every job id this device accepted, so that no job runs twice: an id is
 * appended and fsync'ed before its job starts, and an id found here is a duplicate, also
 * after a restart or a power cut. One JSON line per id, `[unix seconds, id]`; a torn last
 * line (power cut mid-write) is skipped. Bounded: the newest `maxIds` ids no older than
 * `maxAgeSeconds`; the file is compacted by an atomic rewrite when it doubles.
 */
import { denoFs, type Fs, JsonLinesFile } from "../io/mod.ts";

export interface JournalOptions {
  maxIds?: number;
  maxAgeSeconds?: number;
  /** Wall-clock milliseconds (the agent's clock). */
  now: () => number;
  fs?: Fs;
}

export const JOURNAL_FILE = "jobs.journal";

export class JobJournal {
  readonly path: string;
  readonly #maxIds: number;
  readonly #maxAgeSeconds: number;
  readonly #now: () => number;
  /** id → accepted at (seconds), oldest first. */
  #ids = new Map<string, number>();
  #lines = 0;
  #file: JsonLinesFile;
  /** Writes are serialized; concurrent appends share one write and one fsync. */
  #pending: { entry: [number, string]; done: PromiseWithResolvers<void> }[] = [];
  #writing: Promise<void> | undefined;

  private constructor(path: string, options: JournalOptions) {
    this.path = path;
    this.#file = new JsonLinesFile(path, options.fs ?? denoFs);
    this.#maxIds = options.maxIds ?? 10_000;
    this.#maxAgeSeconds = options.maxAgeSeconds ?? 7 * 86_400;
    this.#now = options.now;
  }

  /** Opens (and creates) the journal in `dir`, loading the ids it holds. */
  static async open(dir: string, options: JournalOptions): Promise<JobJournal> {
    const journal = new JobJournal(`${dir}/${JOURNAL_FILE}`, options);
    await journal.#load();
    return journal;
  }

  get size(): number {
    return this.#ids.size;
  }

  has(id: string): boolean {
    return this.#ids.has(id);
  }

  /** When `id` was accepted (unix seconds), if the journal holds it. */
  acceptedAt(id: string): number | undefined {
    return this.#ids.get(id);
  }

  /**
   * Claims `id` at once (a second `has` sees it) and resolves once it is on disk. When the
   * write fails the claim is withdrawn and the promise rejects: the job must not run.
   */
  append(id: string): Promise<void> {
    const at = Math.floor(this.#now() / 1000);
    this.#remember(id, at);
    const done = Promise.withResolvers<void>();
    this.#pending.push({ entry: [at, id], done });
    this.#writing ??= this.#flush();
    return done.promise.catch((error) => {
      this.#ids.delete(id);
      throw error;
    });
  }

  async close(): Promise<void> {
    await this.#writing;
    this.#file.close();
  }

  async #load(): Promise<void> {
    const { values, skipped } = await this.#file.read();
    const oldest = Math.floor(this.#now() / 1000) - this.#maxAgeSeconds;
    let torn = skipped > 0;
    for (const value of values) {
      const entry = asEntry(value);
      if (!entry) torn = true;
      else if (entry[0] >= oldest) this.#remember(entry[1], entry[0]);
    }
    this.#lines = values.length + skipped;
    // A torn line, expired ids or too many: start from a clean file.
    if (torn || this.#lines > this.#ids.size) await this.#compact();
  }

  #remember(id: string, at: number): void {
    this.#ids.delete(id);
    this.#ids.set(id, at);
    if (this.#ids.size > this.#maxIds) this.#ids.delete(this.#ids.keys().next().value!);
  }

  async #flush(): Promise<void> {
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0);
      try {
        if (this.#lines >= 2 * this.#maxIds) {
          // The rewrite holds the batch's ids too (they are remembered already).
          await this.#compact();
          for (const { done } of batch) done.resolve();
          continue;
        }
        await this.#file.append(batch.map((b) => b.entry));
        this.#lines += batch.length;
        for (const { done } of batch) done.resolve();
      } catch (error) {
        for (const { done } of batch) done.reject(error);
      }
    }
    this.#writing = undefined;
  }

  /** Rewrites the file with what is remembered; readers see the old or the new one. */
  async #compact(): Promise<void> {
    const entries = [...this.#ids].map(([id, at]) => [at, id]);
    await this.#file.rewrite(entries);
    this.#lines = entries.length;
  }
}

function asEntry(value: unknown): [number, string] | undefined {
  return Array.isArray(value) && value.length === 2 && Number.isFinite(value[0]) &&
      typeof value[1] === "string"
    ? [value[0], value[1]]
    : undefined;
}
