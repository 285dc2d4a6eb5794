/**
 * Upload bodies, streamed: NDJSON bytes in, gzip by CompressionStream, optionally wrapped
 * as `multipart/form-data` with one file field `data`. Nothing is buffered beyond a chunk.
 */

export type UploadFormat = "multipart" | "gzip";

export interface UploadBody {
  headers: Record<string, string>;
  body: ReadableStream<Uint8Array>;
}

/** Gzipped NDJSON in the configured format. */
export function uploadBody(ndjson: ReadableStream<Uint8Array>, format: UploadFormat): UploadBody {
  const gzip = ndjson.pipeThrough<Uint8Array>(
    new CompressionStream("gzip") as unknown as TransformStream<Uint8Array, Uint8Array>,
  );
  if (format === "gzip") {
    return {
      headers: { "Content-Type": "application/x-ndjson", "Content-Encoding": "gzip" },
      body: gzip,
    };
  }
  // SocketMan also sent Content-Encoding: gzip on this body, which is wrong: the file part
  // is gzip, the multipart envelope is not.
  const boundary = `ledge-${crypto.randomUUID()}`;
  const encoder = new TextEncoder();
  const head = encoder.encode(
    `--${boundary}\r\n` +
      `Content-Disposition: form-data; name="data"; filename="data.gz"\r\n` +
      `Content-Type: application/gzip\r\n\r\n`,
  );
  const tail = encoder.encode(`\r\n--${boundary}--\r\n`);
  return {
    headers: { "Content-Type": `multipart/form-data; boundary=${boundary}` },
    body: framed(head, gzip, tail),
  };
}

function framed(
  head: Uint8Array,
  middle: ReadableStream<Uint8Array>,
  tail: Uint8Array,
): ReadableStream<Uint8Array> {
  const reader = middle.getReader();
  let started = false;
  return new ReadableStream({
    async pull(controller) {
      if (!started) {
        started = true;
        return controller.enqueue(head);
      }
      const { done, value } = await reader.read();
      if (!done) return controller.enqueue(value);
      controller.enqueue(tail);
      controller.close();
    },
    cancel: (reason) => reader.cancel(reason),
  });
}
