/**
 * The on-disk outbox: replies that could not be sent, kept in order across restarts.
 * One JSON line per reply, appended and fsync'ed; bounded in entries and bytes, the
 * oldest dropped first. Not safe for concurrent calls: the reply channel serialises them.
 */
import * as z from "zod/mini";
import { dirname } from "node:path";
import { writeFileAtomic } from "../io/fs.ts";
import type { JobReply, ReplyKind } from "../jobs/reply.ts";

export interface OutboxEntry {
  kind: ReplyKind;
  reply: JobReply;
}

export interface OutboxLimits {
  maxEntries: number;
  maxBytes: number;
}

export const DEFAULT_OUTBOX_LIMITS: OutboxLimits = { maxEntries: 1000, maxBytes: 2 * 1024 * 1024 };

const entrySchema = z.object({
  kind: z.enum(["delivery", "result"]),
  reply: z.looseObject({ id: z.string(), event_type: z.string() }),
});

/** Parses an outbox file; torn or foreign lines (a crash mid-append) are skipped. */
export function parseOutbox(text: string): { entries: OutboxEntry[]; skipped: number } {
  const entries: OutboxEntry[] = [];
  let skipped = 0;
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      const parsed = entrySchema.safeParse(JSON.parse(line));
      if (parsed.success) entries.push(parsed.data as OutboxEntry);
      else skipped++;
    } catch {
      skipped++;
    }
  }
  return { entries, skipped };
}

const encoder = new TextEncoder();
const lineBytes = (line: string) => encoder.encode(line).length + 1;

export class Outbox {
  #lines: string[] = [];
  #bytes = 0;

  constructor(readonly path: string, private readonly limits = DEFAULT_OUTBOX_LIMITS) {}

  /** Reads what a previous run left; a missing file (or state dir) is an empty outbox. */
  async load(): Promise<{ skipped: number }> {
    await Deno.mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    let text = "";
    try {
      text = await Deno.readTextFile(this.path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    const { entries, skipped } = parseOutbox(text);
    this.#lines = entries.map((entry) => JSON.stringify(entry));
    this.#bytes = this.#lines.reduce((sum, line) => sum + lineBytes(line), 0);
    if (skipped > 0) await this.#rewrite();
    return { skipped };
  }

  get size(): number {
    return this.#lines.length;
  }

  /** The entry at `index` (0 is the oldest). */
  at(index: number): OutboxEntry | undefined {
    const line = this.#lines[index];
    return line === undefined ? undefined : JSON.parse(line);
  }

  /** Appends durably; returns how many old entries were dropped to stay in bounds. */
  async append(entry: OutboxEntry): Promise<number> {
    const line = JSON.stringify(entry);
    this.#lines.push(line);
    this.#bytes += lineBytes(line);
    let dropped = 0;
    while (
      this.#lines.length > 1 &&
      (this.#lines.length > this.limits.maxEntries || this.#bytes > this.limits.maxBytes)
    ) {
      this.#bytes -= lineBytes(this.#lines.shift()!);
      dropped++;
    }
    if (dropped > 0) {
      await this.#rewrite();
      return dropped;
    }
    const file = await Deno.open(this.path, { append: true, create: true, mode: 0o600 });
    try {
      const data = encoder.encode(line + "\n");
      for (let written = 0; written < data.length;) {
        written += await file.write(data.subarray(written));
      }
      await file.sync();
    } finally {
      file.close();
    }
    return 0;
  }

  /** Forgets the first `count` entries (they were sent). */
  async shift(count: number): Promise<void> {
    if (count <= 0) return;
    for (const line of this.#lines.splice(0, count)) this.#bytes -= lineBytes(line);
    await this.#rewrite();
  }

  #rewrite(): Promise<void> {
    const text = this.#lines.map((line) => line + "\n").join("");
    return writeFileAtomic(this.path, text);
  }
}
