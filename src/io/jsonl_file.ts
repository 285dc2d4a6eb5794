/**
 * The one durable JSON-lines file: one JSON value per line, appended and fsync'ed before
 * the append resolves, rewritten atomically (readers see the old or the new file), read
 * back skipping a torn last line (power cut mid-write) or a line that does not parse. The
 * job journal, the job history and the reply outbox are each one of these.
 */
import { denoFs, type FileHandle, type Fs, privateDir, writeFileAtomic } from "./fs.ts";

const encoder = new TextEncoder();

/**
 * Synced appends up to this size are written within the call: a small write to the kernel's
 * cache takes microseconds, and the sync then starts at once, not a loop turn later (the
 * job journal's: its sync is on every job's path). The rest go through Deno's threads.
 */
const INLINE_WRITE_MAX = 4096;

/** The directory of a path (node:path would load Node compatibility for one function). */
function dirname(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash < 0 ? "." : slash === 0 ? "/" : path.slice(0, slash);
}

/** What a JSON-lines file held. */
export interface JsonLines {
  /** The values of the lines that parsed, oldest first. */
  values: unknown[];
  /** Lines skipped: torn or not JSON. */
  skipped: number;
}

export interface JsonLinesOptions {
  /**
   * Whether an append waits for the disk (default true). Without, a line survives the
   * agent's own crash (it is in the kernel's cache) but maybe not a power cut, and costs the
   * flash no sync: for what is only nice to keep.
   */
  sync?: boolean;
}

/** One durable JSON-lines file (see the module's comment). */
export class JsonLinesFile {
  #file: FileHandle | undefined;
  readonly #sync: boolean;

  /** Opens nothing yet: the first append does. */
  constructor(
    readonly path: string,
    private readonly fs: Fs = denoFs,
    { sync = true }: JsonLinesOptions = {},
  ) {
    this.#sync = sync;
  }

  /**
   * Reads every line; a missing file is empty. Its directory is made here (0700), or refused
   * when it is not the agent's own (`privateDir`).
   */
  async read(): Promise<JsonLines> {
    await privateDir(dirname(this.path), this.fs);
    let text = "";
    try {
      text = await this.fs.readTextFile(this.path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    const values: unknown[] = [];
    let skipped = 0;
    for (const line of text.split("\n")) {
      if (line.trim() === "") continue;
      try {
        values.push(JSON.parse(line));
      } catch {
        skipped++;
      }
    }
    return { values, skipped };
  }

  /**
   * Appends one line per value, in one write, and syncs it (unless told not to) before
   * resolving. Once the file is open, a small synced append is in it when this returns.
   */
  async append(values: unknown[]): Promise<void> {
    if (values.length === 0) return;
    const data = encoder.encode(values.map((v) => JSON.stringify(v) + "\n").join(""));
    try {
      const file = this.#file ??= await this.fs.open(this.path, {
        append: true,
        create: true,
        mode: 0o600,
      });
      for (let written = 0; written < data.length;) {
        const rest = data.subarray(written);
        const inline = this.#sync && rest.length <= INLINE_WRITE_MAX;
        written += inline ? file.writeSync(rest) : await file.write(rest);
      }
      if (this.#sync) await file.sync();
    } catch (error) {
      this.close();
      throw error;
    }
  }

  /** Replaces the whole file with these values, atomically. */
  async rewrite(values: unknown[]): Promise<void> {
    this.close();
    const text = values.map((v) => JSON.stringify(v) + "\n").join("");
    await writeFileAtomic(this.path, text, 0o600, this.fs);
  }

  /** Closes the append handle; the next append reopens it. */
  close(): void {
    this.#file?.close();
    this.#file = undefined;
  }
}
