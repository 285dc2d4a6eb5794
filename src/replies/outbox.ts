/**
 * The on-disk outbox: replies that could not be sent, kept in order across restarts.
 * One JSON line per reply, appended and fsync'ed; bounded in entries and bytes, the
 * oldest dropped first. Not safe for concurrent calls: the reply channel serialises them.
 */
import * as z from "zod/mini";
import { type Fs, JsonLinesFile } from "../io/mod.ts";
import { type ReplyRoute, routeSchema } from "./route.ts";
import type { JobReply, ReplyKind } from "./wire.ts";

export interface OutboxEntry {
  kind: ReplyKind;
  reply: JobReply;
  /** MQTT 5: where else it goes, and what it carries (the job's message said). */
  route?: ReplyRoute;
}

export interface OutboxLimits {
  maxEntries: number;
  maxBytes: number;
}

export const DEFAULT_OUTBOX_LIMITS: OutboxLimits = { maxEntries: 1000, maxBytes: 2 * 1024 * 1024 };

const entrySchema = z.object({
  kind: z.enum(["delivery", "result"]),
  reply: z.looseObject({ id: z.string(), event_type: z.string() }),
  route: z.optional(routeSchema),
});

/** The entries of an outbox file's lines; foreign lines are skipped. */
export function outboxEntries(values: unknown[]): { entries: OutboxEntry[]; skipped: number } {
  const entries: OutboxEntry[] = [];
  for (const value of values) {
    const parsed = entrySchema.safeParse(value);
    if (parsed.success) entries.push(parsed.data as OutboxEntry);
  }
  return { entries, skipped: values.length - entries.length };
}

const encoder = new TextEncoder();
const lineBytes = (entry: OutboxEntry) => encoder.encode(JSON.stringify(entry)).length + 1;

export class Outbox {
  #entries: OutboxEntry[] = [];
  /** The bytes of each entry's line, to keep the total in bounds. */
  #sizes: number[] = [];
  #bytes = 0;
  readonly #file: JsonLinesFile;

  constructor(readonly path: string, private readonly limits = DEFAULT_OUTBOX_LIMITS, fs?: Fs) {
    this.#file = new JsonLinesFile(path, fs);
  }

  /** Reads what a previous run left; a missing file (or state dir) is an empty outbox. */
  async load(): Promise<{ skipped: number }> {
    const lines = await this.#file.read();
    const { entries, skipped } = outboxEntries(lines.values);
    this.#entries = entries;
    this.#sizes = entries.map(lineBytes);
    this.#bytes = this.#sizes.reduce((sum, size) => sum + size, 0);
    const unreadable = skipped + lines.skipped;
    if (unreadable > 0) await this.#rewrite();
    return { skipped: unreadable };
  }

  get size(): number {
    return this.#entries.length;
  }

  /** The entry at `index` (0 is the oldest). */
  at(index: number): OutboxEntry | undefined {
    return this.#entries[index];
  }

  /** Appends durably; returns how many old entries were dropped to stay in bounds. */
  async append(entry: OutboxEntry): Promise<number> {
    const size = lineBytes(entry);
    this.#entries.push(entry);
    this.#sizes.push(size);
    this.#bytes += size;
    let dropped = 0;
    while (
      this.#entries.length > 1 &&
      (this.#entries.length > this.limits.maxEntries || this.#bytes > this.limits.maxBytes)
    ) {
      this.#forget(1);
      dropped++;
    }
    if (dropped > 0) await this.#rewrite();
    else await this.#file.append([entry]);
    return dropped;
  }

  /** Forgets these entries (they were sent), with one rewrite. */
  async remove(sent: ReadonlySet<OutboxEntry>): Promise<void> {
    if (sent.size === 0) return;
    const kept = this.#entries.map((entry, i) => [entry, this.#sizes[i]] as const)
      .filter(([entry]) => !sent.has(entry));
    this.#entries = kept.map(([entry]) => entry);
    this.#sizes = kept.map(([, size]) => size);
    this.#bytes = this.#sizes.reduce((sum, size) => sum + size, 0);
    await this.#rewrite();
  }

  /** Lets the file go (a later append opens it again). */
  close(): void {
    this.#file.close();
  }

  #forget(count: number): void {
    this.#entries.splice(0, count);
    for (const size of this.#sizes.splice(0, count)) this.#bytes -= size;
  }

  #rewrite(): Promise<void> {
    return this.#file.rewrite(this.#entries);
  }
}
