/**
 * Reading NDJSON segments back: every complete line that parses as JSON is a record; a last
 * line without its newline is torn (kill -9 or power loss mid-append) and skipped, and so
 * is a line that does not parse (a flash page that came back as garbage). Nothing else is
 * dropped, so one bad write costs at most the record it was writing.
 */

import { concatBytes } from "../io/mod.ts";

const NEWLINE = 0x0a;

/** What a scan found beside the records it passed on. */
export interface ScanTally {
  /** Complete, valid records passed on. */
  records: number;
  /** A trailing line without newline was skipped. */
  torn: boolean;
  /** Complete lines skipped because they are not JSON. */
  corrupt: number;
}

/**
 * Splits raw segment bytes into runs of valid `record\n` lines. Runs are views into the
 * chunk given (no copy: the caller reads into one reused buffer), so a run must be used
 * before the next `scan`. `tally` is final after `end()`.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * const bytes = new TextEncoder().encode('{"a":1}\nnot json\n{"b":2}\n{"c":');
 * const scanner = new RecordScanner();
 * const runs = [...scanner.scan(bytes)].map((run) => new TextDecoder().decode(run));
 * scanner.end();
 * deepEqual(runs, ['{"a":1}\n', '{"b":2}\n']);
 * deepEqual(scanner.tally, { records: 2, torn: true, corrupt: 1 });
 * ```
 */
export class RecordScanner {
  /** What was found; final after `end()`. */
  readonly tally: ScanTally = { records: 0, torn: false, corrupt: 0 };
  readonly #decoder = new TextDecoder("utf-8", { fatal: true });
  /** The start of a line that continues in the next chunk (copied: the buffer is reused). */
  #pending: Uint8Array[] = [];

  /** The runs of valid lines of `chunk` (views into it). */
  *scan(chunk: Uint8Array): Generator<Uint8Array> {
    let start = 0;
    let run = -1; // start of the current run of valid lines in `chunk`
    for (let end = chunk.indexOf(NEWLINE); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
      if (this.#pending.length > 0) {
        const line = concatBytes([...this.#pending, chunk.subarray(start, end + 1)]);
        this.#pending = [];
        if (this.#valid(line.subarray(0, -1))) yield line;
      } else if (this.#valid(chunk.subarray(start, end))) {
        if (run < 0) run = start;
      } else if (run >= 0) {
        yield chunk.subarray(run, start);
        run = -1;
      }
      start = end + 1;
    }
    if (run >= 0) yield chunk.subarray(run, start);
    if (start < chunk.length) this.#pending.push(chunk.slice(start));
  }

  /** Ends the scan: a pending partial line counts as torn. */
  end(): void {
    if (this.#pending.some((p) => p.length > 0)) this.tally.torn = true;
    this.#pending = [];
  }

  #valid(line: Uint8Array): boolean {
    if (line.length === 0) return false;
    try {
      JSON.parse(this.#decoder.decode(line));
      this.tally.records++;
      return true;
    } catch {
      this.tally.corrupt++;
      return false;
    }
  }
}
