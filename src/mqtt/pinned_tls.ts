/**
 * TLS to a broker verified against `cacrt` alone. Deno's own TLS takes a CA list in
 * addition to its root store (`caCerts`), so a broker certificate from any other trusted CA
 * would pass; node:tls's `ca` replaces the store (checked with Deno 2.9.6). It costs about
 * 4 MB of anonymous memory once loaded, so it is loaded only for a config with `cacrt`.
 */
import type { ByteStream } from "./connection.ts";

/** Where and how to connect, with the pinned CA and an optional client certificate. */
export interface PinnedTlsOptions {
  host: string;
  port: number;
  /** The only CA the broker's certificate may chain to (PEM). */
  ca: string;
  cert?: string;
  key?: string;
  /** ALPN protocols offered. */
  alpn?: string[];
  timeoutMs: number;
  signal: AbortSignal;
}

/** A verified TLS socket as the connection reads and writes it. */
export async function connectPinned(options: PinnedTlsOptions): Promise<ByteStream> {
  const tls = await import("node:tls");
  const socket = tls.connect({
    host: options.host,
    port: options.port,
    ca: [options.ca],
    cert: options.cert,
    key: options.key,
    ALPNProtocols: options.alpn,
    servername: /^[\d.]+$|:/.test(options.host) ? undefined : options.host,
    rejectUnauthorized: true,
  });
  socket.setNoDelay(true);
  const chunks: Uint8Array[] = [];
  let ended = false;
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  socket.on("data", (chunk: Uint8Array) => {
    chunks.push(chunk);
    notify();
  });
  socket.on("end", () => void (ended = true, notify()));
  socket.on("close", () => void (ended = true, notify()));
  socket.on("error", (error: Error) => void (failure = error, notify()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`no TLS to ${options.host}:${options.port}`)),
      options.timeoutMs,
    );
    const fail = (error: Error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    options.signal.addEventListener("abort", () => fail(new Error("session stopped")), {
      once: true,
    });
    socket.once("secureConnect", () => {
      clearTimeout(timer);
      resolve();
    });
    socket.once("error", fail);
  });
  return {
    async read(buffer: Uint8Array): Promise<number | null> {
      while (chunks.length === 0) {
        if (failure) throw failure;
        if (ended) return null;
        await new Promise<void>((resolve) => wake = resolve);
      }
      const chunk = chunks[0];
      const n = Math.min(buffer.length, chunk.length);
      buffer.set(chunk.subarray(0, n));
      if (n === chunk.length) chunks.shift();
      else chunks[0] = chunk.subarray(n);
      return n;
    },
    write: (data: Uint8Array) =>
      new Promise<number>((resolve, reject) =>
        socket.write(data, (error?: Error | null) => error ? reject(error) : resolve(data.length))
      ),
    close: () => void socket.destroy(),
  };
}
