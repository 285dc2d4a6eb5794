import type { Net, ProbeResult } from "./net.ts";

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
  fetch: (input, init) => fetch(input, init),
};
