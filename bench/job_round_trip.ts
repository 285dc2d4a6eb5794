/**
 * Job round trip against its floor, measured in one run: publish a `true` job and wait for
 * PROCESSED, versus the broker's echo round trip (publish→receive, QoS 1) plus the time to
 * spawn `/bin/sh -c true`. The goal is a difference of at most 1 ms at p50. A private
 * mosquitto with `set_tcp_nodelay true` (see the spec's latency note); the agent runs
 * in-process with its real capabilities.
 *
 *   deno task bench job_round_trip, or deno run -A bench/job_round_trip.ts [iterations]
 */
import { Counters } from "../src/counters.ts";
import { denoExec, type Exec, systemClock } from "../src/io/mod.ts";
import { memoryLogger } from "../src/log/logger.ts";
import { MqttSession } from "../src/mqtt/session.ts";
import { startBroker } from "../tests/support/mosquitto.ts";
import { type BenchRow, printTable } from "./run.ts";
import { testAgent, testConfig } from "../tests/support/context.ts";

const ITERATIONS = Number(Deno.args[0] ?? 300);
const WARMUP = 30;
const MAC = "BE-NC-H0";

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

await using broker = await startBroker();
const state = await Deno.makeTempDir({ prefix: "ledge-bench-" });
// The agent's own runs of `true`, timed where the job runs them: the same spawn, at the
// same moment, as the round trip that contains it.
let lastExecMs = 0;
const timedExec: Exec = {
  run: async (request) => {
    const started = performance.now();
    const result = await denoExec.run(request);
    lastExecMs = performance.now() - started;
    return result;
  },
};
const { agent } = testAgent(
  testConfig({
    mac: MAC,
    topic: "bench",
    key: "k",
    mqtt_host: "127.0.0.1",
    port: broker.port,
    state_dir: state,
    "no-ping": 1,
    "no-cache": 1,
    scan: 0,
  }),
  { exec: timedExec },
);
agent.log.core.level = "warn";
await agent.start();

// One bench client sees every topic of the device, and its own echo topic.
const waiting = new Map<string, () => void>();
let connected!: () => void;
const ready = new Promise<void>((resolve) => connected = resolve);
const client = new MqttSession(
  {
    host: "127.0.0.1",
    port: broker.port,
    clientId: "ledge-bench-client",
    keepaliveS: 30,
    clean: true,
    reconnectMaxS: 1,
    subscription: { topic: `+/bench/k/${MAC}`, qos: 1 },
    will: { topic: "bench/will", payload: () => "" },
  },
  {
    onConnect: () => connected(),
    onMessage: (topic, payload) => {
      const text = new TextDecoder().decode(payload);
      const kind = topic.split("/")[0];
      const key = kind === "echo"
        ? text
        : ["pub", "delivery"].includes(kind)
        ? `${kind}:${JSON.parse(text).id}`
        : "";
      waiting.get(key)?.();
    },
  },
  { log: memoryLogger("warn").log, counters: new Counters(), clock: systemClock },
);
await client.start();
await ready;

const arrival = (key: string) => new Promise<void>((resolve) => waiting.set(key, resolve));
let n = 0;

const echo = await measure(async () => {
  const key = `e${n++}`;
  const arrived = arrival(key);
  await Promise.all([client.publish(`echo/bench/k/${MAC}`, key, 1), arrived]);
});
const spawn = await measure(async () => {
  await denoExec.run({ argv: ["/bin/sh", "-c", "true"], timeoutMs: 10_000, outputMax: 51200 });
});
// Where a job's time goes: until DELIVERED (intake: validation, journal), then the result.
const toDelivered: number[] = [];
const withoutExec: number[] = [];
const job = await measure(async () => {
  const id = `j${n++}`;
  const started = performance.now();
  const delivered = arrival(`delivery:${id}`).then(() => performance.now() - started);
  const processed = arrival(`pub:${id}`);
  const payload = JSON.stringify({ id, timestamp: 0, meta: { msg: "true", type: "command" } });
  await client.publish(`sub/bench/k/${MAC}`, payload, 1);
  toDelivered.push(await delivered);
  await processed;
  withoutExec.push(performance.now() - started - lastExecMs);
});
toDelivered.splice(0, WARMUP);
withoutExec.splice(0, WARMUP);

await client.stop();
await agent.stop();
await Deno.remove(state, { recursive: true });

const e = stats(echo);
const s = stats(spawn);
const j = stats(job);
const d = stats(toDelivered);
const w = stats(withoutExec);
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
  row("spawn /bin/sh -c true, p50", s.p50),
  row("job -> DELIVERED, p50", d.p50, e.p50),
  row("job round trip, p50", j.p50, floor.p50, "<= echo + spawn + 1 ms"),
  row("job round trip, p99", j.p99, floor.p99),
  row("job round trip minus its own exec, p50", w.p50, e.p50),
];
printTable(results, `job round trip: n=${ITERATIONS}, mosquitto set_tcp_nodelay true`);
console.log(`job - floor at p50: ${(j.p50 - floor.p50).toFixed(3)} ms`);
// The report line `deno task bench` (bench/run.ts) collects.
console.log(JSON.stringify({ bench: "job-round-trip", results }));
