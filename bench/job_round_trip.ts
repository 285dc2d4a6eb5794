/**
 * Job latency against its floor, measured in one run with the bundled agent in its own
 * process under its preset (as on a box), against a private mosquitto (`set_tcp_nodelay
 * true`):
 *
 * - DELIVERED: publish a job and wait for its acknowledgement, versus the broker's echo
 *   round trip (publish→receive, QoS 1). Goal: at most echo + 1 ms at p50.
 * - round trip: publish and wait for PROCESSED, versus echo plus the time to run the same
 *   command (`/bin/echo ok` through `/bin/sh -c`, as SocketMan's shell jobs run) through
 *   `denoExec` here. Goal: at most echo + run + 1 ms at p50.
 *
 *   deno task bench job_round_trip, or deno run -A bench/job_round_trip.ts [iterations]
 */
import { denoExec } from "../src/io/mod.ts";
import { connectBackEnd } from "../tests/support/back_end.ts";
import { MAC } from "../tests/support/hardened_run.ts";
import { bundle } from "../scripts/bundle.ts";
import { withAgent } from "./_measure.ts";
import { type BenchRow, printTable } from "./run.ts";

const ITERATIONS = Number(Deno.args[0] ?? 300);
const WARMUP = 30;
/** The hardened config's topics (`topic` t, `key` k), in shell mode. */
const DEVICE = `t/k/${MAC}`;
const COMMAND = "/bin/echo ok";
const SHELL_MODE = { jobs: {} };

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function stats(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99) };
}

async function measure(run: () => Promise<void>): Promise<number[]> {
  for (let i = 0; i < WARMUP; i++) await run();
  const samples: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    const started = performance.now();
    await run();
    samples.push(performance.now() - started);
  }
  return samples;
}

await bundle();
const measured = await withAgent(async ({ brokerPort }) => {
  const waiting = new Map<string, () => void>();
  // One client sees every topic of the device, and its own echo topic.
  await using client = await connectBackEnd(brokerPort, `+/${DEVICE}`, (topic, payload) => {
    const text = new TextDecoder().decode(payload);
    const kind = topic.split("/")[0];
    const key = kind === "echo"
      ? text
      : ["pub", "delivery"].includes(kind)
      ? `${kind}:${JSON.parse(text).id}`
      : "";
    waiting.get(key)?.();
  });
  const arrival = (key: string) => new Promise<void>((resolve) => waiting.set(key, resolve));
  let n = 0;
  const echo = await measure(async () => {
    const key = `e${n++}`;
    const arrived = arrival(key);
    await Promise.all([client.publish(`echo/${DEVICE}`, key, 1), arrived]);
  });
  const spawn = await measure(async () => {
    await denoExec.run({ argv: ["/bin/sh", "-c", COMMAND], timeoutMs: 10_000, outputMax: 51200 });
  });
  const toDelivered: number[] = [];
  const job = await measure(async () => {
    const id = `j${n++}`;
    const started = performance.now();
    const delivered = arrival(`delivery:${id}`).then(() => performance.now() - started);
    const processed = arrival(`pub:${id}`);
    const payload = JSON.stringify({
      id,
      timestamp: Math.floor(Date.now() / 1000),
      meta: { msg: COMMAND, type: "command" },
    });
    await client.publish(`sub/${DEVICE}`, payload, 1);
    toDelivered.push(await delivered);
    await processed;
  });
  return { echo, spawn, job, toDelivered: toDelivered.slice(WARMUP) };
}, SHELL_MODE);

const e = stats(measured.echo);
const s = stats(measured.spawn);
const j = stats(measured.job);
const d = stats(measured.toDelivered);
const floor = { p50: e.p50 + s.p50, p99: e.p99 + s.p99 };
const row = (name: string, median: number, baseline?: number, goal?: string): BenchRow => ({
  name,
  median: Number(median.toFixed(3)),
  unit: "ms",
  ...(baseline === undefined
    ? {}
    : { baseline: Number(baseline.toFixed(3)), ratio: Number((median / baseline).toFixed(2)) }),
  ...(goal ? { goal } : {}),
});
const results = [
  row("broker echo QoS 1, p50", e.p50),
  row('run sh -c "/bin/echo ok", p50', s.p50),
  row("job -> DELIVERED, p50", d.p50, e.p50, "<= echo + 1 ms"),
  row("job round trip, p50", j.p50, floor.p50, "<= echo + run + 1 ms"),
  row("job round trip, p99", j.p99, floor.p99),
];
printTable(results, `job latency: n=${ITERATIONS}, agent in its own process`);
console.log(
  `DELIVERED - echo at p50: ${(d.p50 - e.p50).toFixed(3)} ms; ` +
    `round trip - (echo + run) at p50: ${(j.p50 - floor.p50).toFixed(3)} ms`,
);
// The report line `deno task bench` (bench/run.ts) collects.
console.log(JSON.stringify({ bench: "job-round-trip", results }));
