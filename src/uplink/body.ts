/**
 * Upload bodies: NDJSON bytes in, gzip by CompressionStream, optionally wrapped as
 * `multipart/form-data` with one file field `data`. The segment is streamed from disk; the
 * gzip output is held up to ONE_PIECE_BYTES, whatever the size of the cache.
 */

import { concatBytes } from "../io/mod.ts";

export type UploadFormat = "multipart" | "gzip";

export interface UploadBody {
  headers: Record<string, string>;
  body: BodyInit;
}

/**
 * A body this small (a whole 256 KiB segment compresses far below it) is sent in one piece
 * with Content-Length, which older back ends prefer, and which avoids a chunked body's
 * final tiny write meeting Nagle and a delayed ACK (~40 ms per POST, measured on
 * loopback). A bigger body streams chunked.
 */
export const ONE_PIECE_BYTES = 256 * 1024;

/**
 * Writes NDJSON bytes through `write`, awaiting each call: the bytes may be a reused buffer,
 * so they must have been consumed when `write` resolves.
 */
export type RecordSource = (write: (ndjson: Uint8Array) => Promise<void>) => Promise<void>;

/** Gzipped NDJSON in the configured format. */
export async function uploadBody(source: RecordSource, format: UploadFormat): Promise<UploadBody> {
  const gzip = gzipOf(source);
  if (format === "gzip") {
    return {
      headers: { "Content-Type": "application/x-ndjson", "Content-Encoding": "gzip" },
      body: await settle(gzip),
    };
  }
  // SocketMan's part (http.c): file `archive.gz`, `application/octet-stream`. It also sent
  // Content-Encoding: gzip on this body, which is wrong: the part is gzip, the envelope not.
  const boundary = `ledge-${crypto.randomUUID()}`;
  const encoder = new TextEncoder();
  const head = encoder.encode(
    `--${boundary}\r\n` +
      `Content-Disposition: form-data; name="data"; filename="archive.gz"\r\n` +
      `Content-Type: application/octet-stream\r\n\r\n`,
  );
  const tail = encoder.encode(`\r\n--${boundary}--\r\n`);
  const framed = gzip.pipeThrough<Uint8Array>(
    new TransformStream({ start: (c) => c.enqueue(head), flush: (c) => c.enqueue(tail) }),
  );
  return {
    headers: { "Content-Type": `multipart/form-data; boundary=${boundary}` },
    body: await settle(framed),
  };
}

/**
 * The gzip of what `source` writes. A CompressionStream's writer resolves a write once the
 * bytes were compressed, which is what lets the source reuse its buffer.
 */
function gzipOf(source: RecordSource): ReadableStream<Uint8Array> {
  const gzip = new CompressionStream("gzip");
  const writer = gzip.writable.getWriter();
  source((ndjson) => writer.write(ndjson as Uint8Array<ArrayBuffer>)).then(
    () => writer.close(),
    (error) => writer.abort(error),
  ).catch(() => {}); // the readable side reports the failure to whoever reads it
  return gzip.readable as ReadableStream<Uint8Array>;
}

/** The whole body as bytes when it fits ONE_PIECE_BYTES, else a stream that starts with it. */
async function settle(stream: ReadableStream<Uint8Array>): Promise<BodyInit> {
  const reader = stream.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  while (size < ONE_PIECE_BYTES) {
    const { done, value } = await reader.read();
    if (done) return concatBytes(parts);
    parts.push(value);
    size += value.length;
  }
  return new ReadableStream<Uint8Array>({
    start: (controller) => controller.enqueue(concatBytes(parts)),
    pull: async (controller) => {
      const { done, value } = await reader.read();
      if (done) controller.close();
      else controller.enqueue(value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
}
