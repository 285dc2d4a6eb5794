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
 * - the journal's part: no job may start before its id is fsync'ed (docs/mqtt.md), so the
 *   round trip holds one append + fsync; measured here alone, on the same filesystem as
 *   the agent's state_dir, and shown as a second floor (echo + run + fsync).
 *
 *   deno task bench job_round_trip, or deno run -A bench/job_round_trip.ts [iterations]
 */
import { denoExec } from "../src/io/mod.ts";
import { tempDir } from "../tests/support/process.ts";
import { connectBackEnd } from "../tests/support/back_end.ts";
import { MAC } from "../tests/support/hardened_run.ts";
import { bundle } from "../scripts/bundle.ts";
import { quantile } from "./_median.ts";
import { withAgent } from "./_measure.ts";
import { type BenchRow, printTable } from "./run.ts";

const ITERATIONS = Number(Deno.args[0] ?? 300);
const WARMUP = 30;
/** The hardened config's topics (`topic` t, `key` k), in shell mode. */
const DEVICE = `t/k/${MAC}`;
const COMMAND = "/bin/echo ok";
const SHELL_MODE = { jobs: {} };

function stats(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99) };
}

/**
 * Times each step once per round, in turn, after WARMUP rounds: a slow moment of the shared
 * machine falls on the job and its floors alike (measured one after the other, the floors
 * moved by ±0.6 ms between runs, more than the goal's margin).
 */
async function interleaved<K extends string>(
  steps: Record<K, () => Promise<void>>,
): Promise<Record<K, number[]>> {
  const named = Object.entries(steps) as [K, () => Promise<void>][];
  const samples = Object.fromEntries(named.map(([name]) => [name, [] as number[]])) as Record<
    K,
    number[]
  >;
  for (let round = 0; round < WARMUP + ITERATIONS; round++) {
    for (const [name, step] of named) {
      const started = performance.now();
      await step();
      if (round >= WARMUP) samples[name].push(performance.now() - started);
    }
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
  await using dir = await tempDir("ledge-bench-");
  using journal = await Deno.open(`${dir.path}/jobs.journal`, { append: true, create: true });
  const line = new TextEncoder().encode(`[${Math.floor(Date.now() / 1000)},"j0000"]\n`);
  const toDelivered: number[] = [];
  const samples = await interleaved({
    echo: async () => {
      const key = `e${n++}`;
      const arrived = arrival(key);
      await Promise.all([client.publish(`echo/${DEVICE}`, key).acked, arrived]);
    },
    spawn: async () => {
      await denoExec.run({ argv: ["/bin/sh", "-c", COMMAND], timeoutMs: 10_000, outputMax: 51200 });
    },
    fsync: async () => {
      await journal.write(line);
      await journal.sync();
    },
    job: async () => {
      const id = `j${n++}`;
      const started = performance.now();
      const delivered = arrival(`delivery:${id}`).then(() => performance.now() - started);
      const processed = arrival(`pub:${id}`);
      const payload = JSON.stringify({
        id,
        timestamp: Math.floor(Date.now() / 1000),
        meta: { msg: COMMAND, type: "command" },
      });
      await client.publish(`sub/${DEVICE}`, payload).acked;
      toDelivered.push(await delivered);
      await processed;
    },
  });
  return { ...samples, toDelivered: toDelivered.slice(WARMUP) };
}, SHELL_MODE);

const e = stats(measured.echo);
const s = stats(measured.spawn);
const j = stats(measured.job);
const d = stats(measured.toDelivered);
const f = stats(measured.fsync);
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
  row("journal append + fsync, p50", f.p50),
  row("job -> DELIVERED, p50", d.p50, e.p50, "<= echo + 1 ms"),
  row("job round trip, p50", j.p50, floor.p50, "<= echo + run + 1 ms"),
  row("job round trip, p99", j.p99, floor.p99),
  row("job round trip over echo + run + fsync, p50", j.p50, floor.p50 + f.p50),
];
printTable(results, `job latency: n=${ITERATIONS}, agent in its own process`);
console.log(
  `DELIVERED - echo at p50: ${(d.p50 - e.p50).toFixed(3)} ms; ` +
    `round trip - (echo + run) at p50: ${(j.p50 - floor.p50).toFixed(3)} ms, ` +
    `- (echo + run + fsync): ${(j.p50 - floor.p50 - f.p50).toFixed(3)} ms`,
);
// The report line `deno task bench` (bench/run.ts) collects.
console.log(JSON.stringify({ bench: "job-round-trip", results }));
