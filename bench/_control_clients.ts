/** The clients of bench/control_socket.ts, run in a Worker apart from the server. */

const REQUEST = '{"command": "counters"}';

/** The message a client worker receives, and what it answers. */
export interface Job {
  path: string;
  clients: number;
  seconds: number;
}
export interface Result {
  requests: number;
  seconds: number;
  latencies: number[];
}

async function oneRequest(path: string, body: Uint8Array, buf: Uint8Array): Promise<void> {
  const conn = await Deno.connect({ transport: "unix", path });
  try {
    await conn.write(body);
    let got = 0;
    for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) got += n;
    if (got === 0) throw new Error("empty answer");
  } finally {
    conn.close();
  }
}

/** Worker side: `clients` loops, each one connection per request, for `seconds`. */
async function runClients({ path, clients, seconds }: Job): Promise<Result> {
  const body = new TextEncoder().encode(REQUEST);
  const latencies: number[] = [];
  const started = performance.now();
  const end = started + seconds * 1000;
  await Promise.all(Array.from({ length: clients }, async () => {
    const buf = new Uint8Array(4096);
    while (performance.now() < end) {
      const t0 = performance.now();
      await oneRequest(path, body, buf);
      latencies.push(performance.now() - t0);
    }
  }));
  return { requests: latencies.length, seconds: (performance.now() - started) / 1000, latencies };
}

// deno-lint-ignore no-explicit-any
const scope = self as any;
scope.onmessage = async (event: MessageEvent<Job>) => {
  scope.postMessage(await runClients(event.data));
};
