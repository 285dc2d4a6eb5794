/**
 * Streams the image to a file, hashing as it goes: memory stays one chunk whatever the
 * image's size. The byte cap comes from the memory left (tmpfs is RAM on a router).
 */
import type { FileHandle, Fs, Net } from "../io/mod.ts";
import { urlHostPort } from "../permissions.ts";
import { sha256 } from "@noble/hashes/sha2";
import { bytesToHex } from "@noble/hashes/utils";

/** A download that failed; `retry` when a fresh attempt may work (network, 5xx). */
export class DownloadFailed extends Error {
  /** `reason` is what the answer says. */
  constructor(reason: string, readonly retry: boolean) {
    super(reason);
  }
}

/** What a download is given. */
export interface DownloadRequest {
  url: string;
  path: string;
  /** The image may be at most this large (the `Content-Length` is checked before the body). */
  maxBytes: number;
  /** Hosts (`host` or `host:port`) the image may come from: every hop of a redirect too. */
  hosts: readonly string[];
  signal: AbortSignal;
  /** Called as bytes arrive; `total` when the server said. */
  progress(bytes: number, total: number | undefined): void;
}

/** The downloaded image: its size and SHA-256. */
export interface Downloaded {
  bytes: number;
  sha256: string;
}

const mib = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MiB`;

/** Redirects followed at most; each hop's host must be in `upgrade.hosts`. */
const MAX_REDIRECTS = 5;

/**
 * The image's answer: redirects followed by hand, each hop checked against `hosts` before it
 * is asked (fetch would follow one to any host, and the preset would then refuse it as
 * "Requires net access"), the identity encoding asked for (the hash is of the image's bytes).
 */
async function fetchImage(request: DownloadRequest, net: Net): Promise<Response> {
  let url = request.url;
  for (let hop = 0;; hop++) {
    let response: Response;
    try {
      response = await net.fetch(url, {
        signal: request.signal,
        redirect: "manual",
        headers: { "accept-encoding": "identity" },
      });
    } catch (error) {
      request.signal.throwIfAborted();
      // Deno's message names the URL, whose query may hold a token.
      const message = (error as Error).message.replaceAll(url, shownUrl(url));
      throw new DownloadFailed(`download failed: ${message}`, true);
    }
    const location = response.headers.get("location");
    if (response.status < 300 || response.status > 399 || location === null) return response;
    await response.body?.cancel();
    if (hop === MAX_REDIRECTS) {
      throw new DownloadFailed(`download failed: more than ${MAX_REDIRECTS} redirects`, false);
    }
    const next = URL.parse(location, url);
    if (!next || !/^https?:$/.test(next.protocol)) {
      throw new DownloadFailed("download redirected to something other than http(s)", false);
    }
    if (!hostAllowed(next.href, request.hosts)) {
      throw new DownloadFailed(
        `download redirected to ${urlHostPort(next.href)}, not in upgrade.hosts`,
        false,
      );
    }
    url = next.href;
  }
}

/** Fetches `url` into `path` (a fresh file); throws `DownloadFailed`. */
export async function downloadImage(
  request: DownloadRequest,
  net: Net,
  fs: Fs,
): Promise<Downloaded> {
  const { maxBytes } = request;
  const response = await fetchImage(request, net);
  const body = response.body;
  if (!response.ok || !body) {
    await body?.cancel();
    const retry = response.status >= 500 || response.status === 429;
    throw new DownloadFailed(`download failed: HTTP ${response.status}`, retry);
  }
  // A server that encodes anyway: decoded here (the hash is the image's), and its length is
  // the encoded one.
  const encoding = (response.headers.get("content-encoding") ?? "identity").toLowerCase();
  const decoder = DECODERS[encoding];
  if (encoding !== "identity" && !decoder) {
    await body.cancel();
    throw new DownloadFailed(
      `download failed: content-encoding ${encoding} is not supported`,
      false,
    );
  }
  const length = decoder ? NaN : Number(response.headers.get("content-length") ?? NaN);
  const total = Number.isFinite(length) ? length : undefined;
  if (total !== undefined && total > maxBytes) {
    await body.cancel();
    throw new DownloadFailed(
      `not enough memory: the image is ${mib(total)}, at most ${mib(maxBytes)} fit`,
      false,
    );
  }
  // A fresh file, never one that was there (the directory is the agent's own, checked).
  await fs.remove(request.path).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
  const file = await fs.open(request.path, { write: true, createNew: true, mode: 0o600 });
  try {
    const decoded = decoder
      ? (body as ReadableStream<BufferSource>).pipeThrough(new DecompressionStream(decoder))
      : body;
    return await streamTo(decoded, file, request, total);
  } finally {
    file.close();
  }
}

/** The content encodings a server may send the image in anyway, and how they are decoded. */
const DECODERS: Record<string, CompressionFormat | undefined> = {
  gzip: "gzip",
  "x-gzip": "gzip",
  deflate: "deflate",
};

/** Read into one reused buffer: a fresh chunk per read leaves a 64 MB image as garbage. */
const READ_BUFFER = 64 * 1024;

async function streamTo(
  body: ReadableStream<Uint8Array>,
  file: FileHandle,
  request: DownloadRequest,
  total: number | undefined,
): Promise<Downloaded> {
  // Streamed: WebCrypto would want the whole image in one buffer, beside tmpfs.
  const hash = sha256.create();
  let bytes = 0;
  const chunks = chunksOf(body);
  try {
    for (;;) {
      let data: Uint8Array | undefined;
      try {
        data = await chunks.next();
      } catch (error) {
        request.signal.throwIfAborted();
        throw new DownloadFailed(`download cut off: ${(error as Error).message}`, true);
      }
      if (!data) break;
      bytes += data.length;
      if (bytes > request.maxBytes) {
        throw new DownloadFailed(
          `not enough memory: the image is larger than the ${mib(request.maxBytes)} that fit`,
          false,
        );
      }
      hash.update(data);
      for (let at = 0; at < data.length;) at += await file.write(data.subarray(at));
      request.progress(bytes, total);
    }
  } finally {
    await chunks.cancel();
  }
  if (total !== undefined && bytes !== total) {
    throw new DownloadFailed(`download cut off at ${bytes} of ${total} bytes`, true);
  }
  await file.syncData();
  return { bytes, sha256: bytesToHex(hash.digest()) };
}

/**
 * A body's chunks: a byte stream read into one reused buffer, any other (a decoder's) as it
 * gives them. A chunk is valid until the next read.
 */
function chunksOf(body: ReadableStream<Uint8Array>) {
  if (body.locked) throw new Error("the body is being read elsewhere");
  let byob: ReadableStreamBYOBReader | undefined;
  try {
    byob = body.getReader({ mode: "byob" });
  } catch { /* not a byte stream */ }
  if (byob) {
    const reader = byob;
    let buffer = new Uint8Array(READ_BUFFER);
    return {
      next: async () => {
        const { done, value } = await reader.read(buffer);
        if (done || !value) return undefined;
        buffer = new Uint8Array(value.buffer);
        return value;
      },
      cancel: () => reader.cancel().catch(() => {}),
    };
  }
  const reader = body.getReader();
  return {
    next: async () => (await reader.read()).value,
    cancel: () => reader.cancel().catch(() => {}),
  };
}

/** The URL as replies and logs show it: no credentials, no query. */
export function shownUrl(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}

/** Whether `upgrade.hosts` lists the URL's host, alone or with its port. */
export function hostAllowed(url: string, hosts: readonly string[]): boolean {
  const hostPort = urlHostPort(url);
  return hosts.includes(hostPort) || hosts.includes(new URL(url).hostname);
}
