/**
 * Streams the image to a file, hashing as it goes: memory stays one chunk whatever the
 * image's size. The byte cap comes from the memory left (tmpfs is RAM on a router).
 */
import type { FileHandle, Fs, Net } from "../io/mod.ts";
import { urlHostPort } from "../permissions.ts";
import { Sha256 } from "./sha256.ts";

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
  /** Hosts (`host` or `host:port`) the image may come from, also after redirects. */
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

/** Fetches `url` into `path` (replacing it); throws `DownloadFailed`. */
export async function downloadImage(
  request: DownloadRequest,
  net: Net,
  fs: Fs,
): Promise<Downloaded> {
  const { signal, maxBytes } = request;
  let response: Response;
  try {
    response = await net.fetch(request.url, { signal });
  } catch (error) {
    signal.throwIfAborted();
    // Deno's message names the URL, whose query may hold a token.
    const message = (error as Error).message.replaceAll(request.url, shownUrl(request.url));
    throw new DownloadFailed(`download failed: ${message}`, true);
  }
  const body = response.body;
  if (!response.ok || !body) {
    await body?.cancel();
    const retry = response.status >= 500 || response.status === 429;
    throw new DownloadFailed(`download failed: HTTP ${response.status}`, retry);
  }
  const landed = response.url || request.url;
  if (!hostAllowed(landed, request.hosts)) {
    await body.cancel();
    const host = urlHostPort(landed);
    throw new DownloadFailed(`download redirected to ${host}, not in upgrade.hosts`, false);
  }
  const length = Number(response.headers.get("content-length") ?? NaN);
  const total = Number.isFinite(length) ? length : undefined;
  if (total !== undefined && total > maxBytes) {
    await body.cancel();
    throw new DownloadFailed(
      `not enough memory: the image is ${mib(total)}, at most ${mib(maxBytes)} fit`,
      false,
    );
  }
  const file = await fs.open(request.path, { write: true, create: true, truncate: true });
  try {
    return await streamTo(body, file, request, total);
  } finally {
    file.close();
  }
}

/** Read into one reused buffer: a fresh chunk per read leaves a 64 MB image as garbage. */
const READ_BUFFER = 64 * 1024;

async function streamTo(
  body: ReadableStream<Uint8Array>,
  file: FileHandle,
  request: DownloadRequest,
  total: number | undefined,
): Promise<Downloaded> {
  const hash = new Sha256();
  let bytes = 0;
  const reader = body.getReader({ mode: "byob" });
  let buffer = new Uint8Array(READ_BUFFER);
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array<ArrayBuffer>>;
      try {
        chunk = await reader.read(buffer);
      } catch (error) {
        request.signal.throwIfAborted();
        throw new DownloadFailed(`download cut off: ${(error as Error).message}`, true);
      }
      if (chunk.done || !chunk.value) break;
      const data = chunk.value;
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
      buffer = new Uint8Array(data.buffer);
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  if (total !== undefined && bytes !== total) {
    throw new DownloadFailed(`download cut off at ${bytes} of ${total} bytes`, true);
  }
  await file.syncData();
  return { bytes, sha256: hash.hex() };
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
