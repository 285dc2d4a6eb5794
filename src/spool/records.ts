/**
 * Reading NDJSON segments back: every complete line that parses as JSON is a record; a last
 * line without its newline is torn (kill -9 or power loss mid-append) and skipped, and so
 * is a line that does not parse (a flash page that came back as garbage). Nothing else is
 * dropped, so one bad write costs at most the record it was writing.
 */

const NEWLINE = 0x0a;

/** What a scan found beside the records it passed on. */
export interface ScanTally {
  records: number;
  /** A trailing line without newline was skipped. */
  torn: boolean;
  /** Complete lines skipped because they are not JSON. */
  corrupt: number;
}

/**
 * A stream of raw segment bytes in, the valid `record\n` lines out; `tally` is final once
 * the stream has closed.
 *
 * @example
 * const scan = new RecordScanStream();
 * const text = await new Response(file.readable.pipeThrough(scan)).text();
 * scan.tally; // { records: 2, torn: true, corrupt: 0 }
 */
export class RecordScanStream extends TransformStream<Uint8Array, Uint8Array> {
  readonly tally: ScanTally = { records: 0, torn: false, corrupt: 0 };

  constructor() {
    const decoder = new TextDecoder("utf-8", { fatal: true });
    let pending: Uint8Array[] = [];
    const valid = (line: Uint8Array) => {
      if (isJsonLine(line, decoder)) return ++this.tally.records > 0;
      if (line.length > 0) this.tally.corrupt++;
      return false;
    };
    super({
      // Valid lines next to each other leave as one chunk: the gzip after this works on
      // file-sized pieces, not record-sized ones.
      transform: (chunk, out) => {
        let start = 0;
        let run = -1;
        const endRun = (at: number) => {
          if (run >= 0) out.enqueue(chunk.slice(run, at));
          run = -1;
        };
        for (let end = chunk.indexOf(NEWLINE); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
          if (pending.length > 0) {
            const line = concat([...pending, chunk.subarray(start, end + 1)]);
            pending = [];
            if (valid(line.subarray(0, -1))) out.enqueue(line);
          } else if (valid(chunk.subarray(start, end))) {
            if (run < 0) run = start;
          } else {
            endRun(start);
          }
          start = end + 1;
        }
        endRun(start);
        if (start < chunk.length) pending.push(chunk.slice(start));
      },
      flush: () => {
        if (pending.some((p) => p.length > 0)) this.tally.torn = true;
      },
    });
  }
}

function isJsonLine(line: Uint8Array, decoder: TextDecoder): boolean {
  if (line.length === 0) return false;
  try {
    JSON.parse(decoder.decode(line));
    return true;
  } catch {
    return false;
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
