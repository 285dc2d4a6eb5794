/**
 * Cuts control requests out of a byte stream. BNG Blaster's clients never mark the end of
 * a request (`nc -U` without `-N` never half-closes, cli.py sends no newline), so a request
 * ends where its top-level JSON value ends: this scanner tracks strings and nesting on the
 * raw bytes (UTF-8 continuation bytes never look like ASCII) and parses only complete values.
 */

export interface ReaderLimits {
  /** Bytes a request may take, leading whitespace included. */
  maxBytes: number;
  /** Containers open at once; `{}` is depth 1. */
  maxDepth: number;
}

export const DEFAULT_READER_LIMITS: ReaderLimits = { maxBytes: 1024 * 1024, maxDepth: 64 };

/** A parsed JSON value, or the error answer that ends the connection. */
export type Frame =
  | { kind: "value"; value: unknown }
  | { kind: "error"; code: number; message: string };

const INVALID_JSON: Frame = { kind: "error", code: 400, message: "invalid json" };
const TOO_LARGE: Frame = { kind: "error", code: 413, message: "request too large" };

const SPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);
const [OPEN_OBJECT, CLOSE_OBJECT, OPEN_ARRAY, CLOSE_ARRAY, QUOTE, BACKSLASH] = [
  0x7b,
  0x7d,
  0x5b,
  0x5d,
  0x22,
  0x5c,
];
/** Bytes that may start a number, `true`, `false` or `null`. */
const LITERAL_START = new Set([..."-0123456789tfn"].map((c) => c.charCodeAt(0)));
/** Bytes that end a bare literal. */
const LITERAL_END = new Set([...SPACE, OPEN_OBJECT, CLOSE_OBJECT, OPEN_ARRAY, CLOSE_ARRAY, 0x2c]);

/** Stateless when used without `stream`, so one serves every reader. */
const UTF8 = new TextDecoder("utf-8", { fatal: true });

type Scan = "idle" | "container" | "string" | "literal";

/**
 * Feed bytes with `push`, take complete requests with `take`. Each request is scanned once:
 * the state survives between pushes, so a request split over many writes costs no rescans.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * const reader = new RequestReader();
 * reader.push(new TextEncoder().encode(' {"command": "status"} trailing'));
 * deepEqual(reader.take(), { kind: "value", value: { command: "status" } });
 * ```
 */
export class RequestReader {
  #buffer = new Uint8Array(256);
  #length = 0;
  /** Where the current request's bytes start (leading whitespace included). */
  #start = 0;
  /** The next byte to scan. */
  #pos = 0;
  #scan: Scan = "idle";
  #valueStart = 0;
  #depth = 0;
  #escaped = false;
  #failed = false;

  constructor(private readonly limits: ReaderLimits = DEFAULT_READER_LIMITS) {}

  /** True once a request has begun: non-whitespace bytes are waiting for their end. */
  get started(): boolean {
    return this.#scan !== "idle";
  }

  push(chunk: Uint8Array): void {
    if (this.#failed) return;
    this.#compact();
    const needed = this.#length + chunk.length;
    if (needed > this.#buffer.length) {
      const grown = new Uint8Array(Math.max(needed, this.#buffer.length * 2));
      grown.set(this.#buffer.subarray(0, this.#length));
      this.#buffer = grown;
    }
    this.#buffer.set(chunk, this.#length);
    this.#length = needed;
  }

  /** The next complete request, an error, or undefined while more bytes are needed. */
  take(): Frame | undefined {
    const buf = this.#buffer;
    const end = Math.min(this.#length, this.#start + this.limits.maxBytes);
    while (this.#pos < end) {
      const byte = buf[this.#pos];
      switch (this.#scan) {
        case "idle":
          if (SPACE.has(byte)) {
            this.#pos++;
            continue;
          }
          this.#valueStart = this.#pos;
          if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
            this.#scan = "container";
            this.#depth = 0;
            continue; // counted as an opening below
          }
          if (byte === QUOTE) {
            this.#scan = "string";
            this.#depth = 0;
            this.#pos++;
            continue;
          }
          if (!LITERAL_START.has(byte)) return this.#fail(INVALID_JSON);
          this.#scan = "literal";
          this.#pos++;
          continue;
        case "literal":
          if (LITERAL_END.has(byte)) return this.#complete(this.#pos);
          this.#pos++;
          continue;
        case "string":
          this.#pos++;
          if (this.#escaped) this.#escaped = false;
          else if (byte === BACKSLASH) this.#escaped = true;
          else if (byte === QUOTE) {
            if (this.#depth === 0) return this.#complete(this.#pos);
            this.#scan = "container";
          }
          continue;
        case "container":
          this.#pos++;
          if (byte === QUOTE) this.#scan = "string";
          else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
            if (++this.#depth > this.limits.maxDepth) return this.#fail(INVALID_JSON);
          } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
            if (--this.#depth === 0) return this.#complete(this.#pos);
          }
          continue;
      }
    }
    if (this.#length - this.#start >= this.limits.maxBytes && this.#pos >= end) {
      return this.#fail(TOO_LARGE);
    }
    return undefined;
  }

  /** The peer half-closed: a started request is complete only if it is a bare literal. */
  end(): Frame | undefined {
    if (this.#scan === "idle") return undefined;
    if (this.#scan === "literal") return this.#complete(this.#pos);
    return this.#fail(INVALID_JSON);
  }

  #complete(end: number): Frame {
    const bytes = this.#buffer.subarray(this.#valueStart, end);
    this.#scan = "idle";
    this.#start = this.#pos = end;
    try {
      return { kind: "value", value: JSON.parse(UTF8.decode(bytes)) };
    } catch {
      return INVALID_JSON;
    }
  }

  /** After an error the stream is out of step: nothing more is read from it. */
  #fail(frame: Frame): Frame {
    this.#failed = true;
    this.#scan = "idle";
    this.#start = this.#pos = this.#length = 0;
    return frame;
  }

  /** Drops the bytes of requests already taken, so a keep-alive buffer does not grow. */
  #compact(): void {
    if (this.#start === 0) return;
    this.#buffer.copyWithin(0, this.#start, this.#length);
    this.#length -= this.#start;
    this.#pos -= this.#start;
    this.#valueStart -= this.#start;
    this.#start = 0;
  }
}
