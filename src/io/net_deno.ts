import { VERSION } from "../version.ts";
import type { Net, ProbeResult } from "./net.ts";

/** Every request names its client, as SocketMan's did (`Cucumber Bot`): `ledge/<version>`. */
export const USER_AGENT = `ledge/${VERSION}`;

/** `init` with the User-Agent header added unless it names one. */
function withUserAgent(init: RequestInit = {}): RequestInit {
  const headers = new Headers(init.headers);
  if (!headers.has("user-agent")) headers.set("user-agent", USER_AGENT);
  return { ...init, headers };
}

async function timed(work: () => Promise<unknown>): Promise<ProbeResult> {
  const started = performance.now();
  try {
    await work();
    return { ok: true, ms: performance.now() - started };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, ms: performance.now() - started, error: message };
  }
}

/** The real network, through Deno. */
export const denoNet: Net = {
  tcpProbe: (hostname, port, timeoutMs) =>
    timed(async () => {
      const conn = await Deno.connect({ hostname, port, signal: AbortSignal.timeout(timeoutMs) });
      conn.close();
    }),
  resolveDns: (host) => timed(() => Deno.resolveDns(host, "A")),
  fetch: (input, init) => fetch(input, withUserAgent(init)),
};
