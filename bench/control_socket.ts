/**
 * Control socket throughput and latency against a raw Deno Unix echo server measured in
 * the same run: requests/s, p50 and p99 with 1 and 8 clients, one connection per request
 * (as nc, cli.py and ledge ctl do). Clients run in a Worker, so the server under test has
 * the main thread to itself. Goal: at least 0.7 of the echo server's rate, p99 < 2 ms.
 *
 *   deno task bench:control [--seconds=2] [--rounds=3]
 */
import { median, quantile } from "./_median.ts";
import { parseArgs } from "node:util";
import { CommandRegistry } from "../src/control/registry.ts";
import { ControlServer } from "../src/control/server.ts";
import { Counters } from "../src/counters.ts";
import { memoryLogger } from "../src/log/logger.ts";
import type { Job, Result } from "./_control_clients.ts";

/** The baseline: read one chunk, write it back with a newline, close. */
function echoServer(path: string): { close(): Promise<void> } {
  const listener = Deno.listen({ transport: "unix", path });
  const loop = (async () => {
    for await (const conn of listener) {
      (async () => {
        const buf = new Uint8Array(4096);
        const n = await conn.read(buf);
        if (n) await conn.write(buf.subarray(0, n + 1).fill(10, n));
        await conn.closeWrite();
        conn.close();
      })().catch(() => {});
    }
  })().catch(() => {});
  return {
    close: async () => {
      listener.close();
      await loop;
    },
  };
}

async function ledgeServer(path: string): Promise<{ close(): Promise<void> }> {
  const counters = new Counters();
  const commands = new CommandRegistry();
  commands.register({ name: "counters", description: "", run: () => counters.snapshot() });
  const server = new ControlServer({ path, log: memoryLogger("error").log, counters, commands });
  await server.start();
  return { close: () => server.stop() };
}

function measure(worker: Worker, job: Job): Promise<Result> {
  return new Promise((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<Result>) => resolve(event.data);
    worker.onerror = (event) => reject(new Error(event.message));
    worker.postMessage(job);
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      seconds: { type: "string", default: "2" },
      rounds: { type: "string", default: "3" },
    },
  });
  const seconds = Number(values.seconds);
  const rounds = Number(values.rounds);
  const dir = await Deno.makeTempDir({ prefix: "ledge-bench-" });
  const worker = new Worker(new URL("./_control_clients.ts", import.meta.url), { type: "module" });
  const servers = { echo: echoServer, ledge: ledgeServer };
  type Row = { server: string; clients: number; rps: number; p50: number; p99: number };
  const rows: Row[] = [];
  try {
    for (const clients of [1, 8]) {
      const runs: Record<string, { rps: number[]; latencies: number[] }> = {};
      // Alternate the servers so that noise from other processes hits both alike.
      for (let round = 0; round < rounds; round++) {
        for (const [name, start] of Object.entries(servers)) {
          const path = `${dir}/${name}.sock`;
          const server = await start(path);
          const result = await measure(worker, { path, clients, seconds });
          await server.close();
          await Deno.remove(path).catch(() => {});
          runs[name] ??= { rps: [], latencies: [] };
          runs[name].rps.push(result.requests / result.seconds);
          runs[name].latencies.push(...result.latencies);
        }
      }
      for (const [server, run] of Object.entries(runs)) {
        const sorted = run.latencies.sort((a, b) => a - b);
        rows.push({
          server,
          clients,
          rps: Math.round(median(run.rps)),
          p50: quantile(sorted, 0.5),
          p99: quantile(sorted, 0.99),
        });
      }
    }
  } finally {
    worker.terminate();
    await Deno.remove(dir, { recursive: true });
  }

  const ratio = (clients: number) => {
    const of = (server: string) => rows.find((r) => r.server === server && r.clients === clients)!;
    return of("ledge").rps / of("echo").rps;
  };
  console.log("server  clients     req/s   p50 ms   p99 ms  ratio");
  for (const r of rows) {
    const shown = r.server === "ledge" ? ratio(r.clients).toFixed(2) : "1.00";
    console.log(
      `${r.server.padEnd(6)}  ${String(r.clients).padStart(7)}  ${String(r.rps).padStart(8)}` +
        `  ${r.p50.toFixed(3).padStart(7)}  ${r.p99.toFixed(3).padStart(7)}  ${shown.padStart(5)}`,
    );
  }
  // The shape bench/run.ts gathers: one row per measure, ledge against the echo baseline.
  const results = [1, 8].flatMap((clients) => {
    const of = (server: string) => rows.find((r) => r.server === server && r.clients === clients)!;
    const [ledge, echo] = [of("ledge"), of("echo")];
    const label = clients === 1 ? "1 client" : `${clients} clients`;
    return [
      {
        name: `requests, ${label}`,
        median: ledge.rps,
        baseline: echo.rps,
        ratio: +(ledge.rps / echo.rps).toFixed(3),
        unit: "req/s",
        goal: ">= 0.7 of baseline",
      },
      {
        name: `p50, ${label}`,
        median: +ledge.p50.toFixed(3),
        baseline: +echo.p50.toFixed(3),
        unit: "ms",
      },
      {
        name: `p99, ${label}`,
        median: +ledge.p99.toFixed(3),
        baseline: +echo.p99.toFixed(3),
        unit: "ms",
        goal: "< 2 ms",
      },
    ];
  });
  const met = results.every((r) => r.unit === "req/s" ? r.ratio! >= 0.7 : !r.goal || r.median < 2);
  console.log(JSON.stringify({ bench: "control_socket", seconds, rounds, met, results }));
}

if (import.meta.main) await main();
