/**
 * Job round trip against its floor, measured in one run: publish a `true` job and wait for
 * PROCESSED, versus the broker's echo round trip (publish→receive, QoS 1) plus the time to
 * spawn `/bin/sh -c true`. The goal is a difference of at most 1 ms at p50. A private
 * mosquitto with `set_tcp_nodelay true` (see the spec's latency note); the agent runs
 * in-process with its real capabilities.
 *
 *   deno run -A bench/jobs.ts [iterations]
 */
import { Counters } from "../src/counters.ts";
import { denoExec, systemClock } from "../src/io/mod.ts";
import { memoryLogger } from "../src/log/logger.ts";
import { MqttSession } from "../src/mqtt/session.ts";
import { startBroker } from "../tests/support/mosquitto.ts";
import { testAgent, testConfig } from "../tests/support/agent.ts";

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
const { agent } = testAgent(testConfig({
  mac: MAC,
  topic: "bench",
  key: "k",
  mqtt_host: "127.0.0.1",
  port: broker.port,
  state_dir: state,
  "no-ping": 1,
}));
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
const job = await measure(async () => {
  const id = `j${n++}`;
  const started = performance.now();
  const delivered = arrival(`delivery:${id}`).then(() => performance.now() - started);
  const processed = arrival(`pub:${id}`);
  const payload = JSON.stringify({ id, timestamp: 0, meta: { msg: "true", type: "command" } });
  await client.publish(`sub/bench/k/${MAC}`, payload, 1);
  toDelivered.push(await delivered);
  await processed;
});
toDelivered.splice(0, WARMUP);

await client.stop();
await agent.stop();
await Deno.remove(state, { recursive: true });

const e = stats(echo);
const s = stats(spawn);
const j = stats(job);
const d = stats(toDelivered);
const floor = { p50: e.p50 + s.p50, p99: e.p99 + s.p99 };
const rows: [string, { p50: number; p99: number }][] = [
  ["broker echo (QoS 1)", e],
  ["spawn /bin/sh -c true", s],
  ["floor = echo + spawn", floor],
  ["job → DELIVERED", d],
  ["job round trip (true)", j],
];
const ms = (x: number) => x.toFixed(3).padStart(9);
console.log(`${"ms, n=" + ITERATIONS + ", set_tcp_nodelay true".padEnd(0)}`);
console.log(`${"".padEnd(24)}${"p50".padStart(9)}${"p99".padStart(9)}`);
for (const [name, v] of rows) console.log(`${name.padEnd(24)}${ms(v.p50)}${ms(v.p99)}`);
console.log(`${"job - floor".padEnd(24)}${ms(j.p50 - floor.p50)}${ms(j.p99 - floor.p99)}`);
console.log(JSON.stringify({
  bench: "jobs",
  iterations: ITERATIONS,
  broker: "mosquitto set_tcp_nodelay true",
  echo_ms: e,
  spawn_ms: s,
  delivered_ms: d,
  job_ms: j,
  overhead_p50_ms: j.p50 - floor.p50,
  ratio_p50: j.p50 / floor.p50,
  goal_met: j.p50 - floor.p50 <= 1,
}));
