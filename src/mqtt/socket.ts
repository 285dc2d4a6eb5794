/**
 * The socket to the broker: TCP, TLS over it, or TLS with a client certificate or a pinned
 * CA, within the connect timeout.
 */
import { type Clock, deadline, TIMED_OUT } from "../io/mod.ts";
import type { ByteStream } from "./connection.ts";
import { connectPinned } from "./pinned_tls.ts";

export interface SessionTls {
  /**
   * CA PEM, the only one the broker's certificate may chain to (a pin); absent means Deno's
   * root store (the OS's with DENO_TLS_CA_STORE=system). Verification is never turned off.
   */
  ca?: string;
  cert?: string;
  key?: string;
  /** ALPN protocols offered (AWS IoT takes MQTT on 443 with `x-amzn-mqtt-ca`). */
  alpn?: string[];
}

export interface SocketTarget {
  host: string;
  port: number;
  /** Absent for plain TCP. */
  tls?: SessionTls;
  timeoutMs: number;
  /** Aborts the attempt (the session stopped). */
  signal: AbortSignal;
  clock: Clock;
}

/**
 * A TCP or TLS socket to the broker, within the connect timeout. TCP_NODELAY: one small
 * publish must not wait for Nagle and a delayed ACK (~40 ms on loopback). Deno offers it on
 * TCP sockets only, so TLS is started over one; but a client certificate needs
 * `Deno.connectTls`, whose socket keeps Nagle (and takes no signal: a late one is closed).
 */
export async function openSocket(
  { host, port, tls, timeoutMs, signal, clock }: SocketTarget,
): Promise<ByteStream> {
  if (tls?.ca) {
    // Deno's caCerts would add to its root store: the pin goes through node:tls.
    const { ca, cert, key, alpn } = tls;
    return await connectPinned({ host, port, ca, cert, key, alpn, timeoutMs, signal });
  }
  if (tls?.cert && tls.key) {
    const connecting = Deno.connectTls({
      hostname: host,
      port,
      cert: tls.cert,
      key: tls.key,
      alpnProtocols: tls.alpn,
    });
    const conn = await deadline(clock, timeoutMs, connecting, signal);
    if (conn !== TIMED_OUT) return conn;
    connecting.then((late) => late.close(), () => {});
    throw new Error(`no connection to ${host}:${port} within ${timeoutMs} ms`);
  }
  const tcp = await Deno.connect({
    hostname: host,
    port,
    signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
  });
  tcp.setNoDelay(true);
  if (!tls) return tcp;
  // The handshake itself runs on the first write, within the CONNACK's timeout.
  return await Deno.startTls(tcp, { hostname: host, alpnProtocols: tls.alpn });
}
