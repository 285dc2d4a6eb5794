/**
 * A firmware image server for the upgrade tests: a real HTTP(S) server on a free loopback
 * port. Images are made of 64 KiB chunks generated on the fly (a 64 MB image costs no
 * memory here); the test may stall a download half-way or fail the next requests.
 */
import { createHash } from "node:crypto";

const CHUNK = 64 * 1024;

/** An image of `size` bytes; `seed` makes different images of one size. */
export interface Image {
  size: number;
  seed: number;
}

/** Chunk `index` of an image: deterministic, so the test can hash it too. */
function chunkOf(image: Image, index: number): Uint8Array {
  const length = Math.min(CHUNK, image.size - index * CHUNK);
  return new Uint8Array(length).fill((index * 31 + image.seed) & 0xff);
}

/**
 * The SHA-256 of an image, computed chunk by chunk by another implementation than the
 * agent's (node's OpenSSL-backed one, here in the test only).
 */
export function imageSha256(image: Image): string {
  const hash = createHash("sha256");
  for (let i = 0; i * CHUNK < image.size; i++) hash.update(chunkOf(image, i));
  return hash.digest("hex");
}

export interface ImageServer extends AsyncDisposable {
  /** `http(s)://127.0.0.1:PORT`. */
  origin: string;
  /** Each request's path, in order. */
  requests: string[];
  /** Answers the next `count` requests with `status`. */
  failNext(count: number, status: number): void;
  /** Stalls each download after this many bytes, until `release()`. */
  stallAfter(bytes: number): void;
  release(): void;
  /** `from` answers a 302 to `to` (a path here, or a URL). */
  redirect(from: string, to: string): void;
  /**
   * Images sent gzip-encoded, with the encoded length: never, when the request accepts it
   * (a web server's `gzip on`), or always (a misconfigured one).
   */
  gzip: "never" | "when-asked" | "always";
}

/** Serves `images` by path (`/fw.bin`); `tls` makes it HTTPS. */
export function startImageServer(
  images: Record<string, Image>,
  tls?: { cert: string; key: string },
): ImageServer {
  const requests: string[] = [];
  let failures = { count: 0, status: 500 };
  let stallAt = Infinity;
  let gate = Promise.withResolvers<void>();
  const body = (image: Image) => {
    let index = 0;
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        if (index * CHUNK >= image.size) return controller.close();
        if (index * CHUNK >= stallAt) await gate.promise;
        controller.enqueue(chunkOf(image, index++));
      },
    });
  };
  const redirects = new Map<string, string>();
  const gzipped = async (image: Image) => {
    const encoded = await new Response(
      (body(image) as ReadableStream<BufferSource>).pipeThrough(new CompressionStream("gzip")),
    )
      .bytes();
    return new Response(encoded, {
      headers: { "content-encoding": "gzip", "content-length": String(encoded.length) },
    });
  };
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {}, ...tls },
    (request) => {
      const path = new URL(request.url).pathname;
      requests.push(path);
      if (failures.count > 0) {
        failures.count--;
        return new Response("try later", { status: failures.status });
      }
      const to = redirects.get(path);
      if (to) return new Response(null, { status: 302, headers: { location: to } });
      const image = images[path];
      if (!image) return new Response("no such image", { status: 404 });
      const accepts = /\bgzip\b/.test(request.headers.get("accept-encoding") ?? "");
      if (served.gzip === "always" || (served.gzip === "when-asked" && accepts)) {
        return gzipped(image);
      }
      return new Response(body(image), {
        headers: {
          "content-length": String(image.size),
          "content-type": "application/octet-stream",
        },
      });
    },
  );
  const served: ImageServer = {
    origin: `${tls ? "https" : "http"}://127.0.0.1:${server.addr.port}`,
    requests,
    failNext: (count, status) => void (failures = { count, status }),
    stallAfter: (bytes) => void (stallAt = bytes),
    release: () => {
      stallAt = Infinity;
      gate.resolve();
      gate = Promise.withResolvers<void>();
    },
    redirect: (from, to) => void redirects.set(from, to),
    gzip: "never",
    [Symbol.asyncDispose]: async () => {
      gate.resolve();
      await server.shutdown();
    },
  };
  return served;
}
