/**
 * The agent's footprint, measured on the bundle under its hardened preset as the packages run
 * it (`DENO_USR2_MEMORY_TRIM` set) against a private mosquitto and a stats API on loopback,
 * each figure against bare deno measured in the same run, at the same sampling point
 * (settled: the median of five readings):
 *
 * - anonymous memory (Private_Dirty: what a router cannot reclaim) idle, and after
 *   COLLECTIONS collections + JOBS jobs, each after the agent's own trim; goals ≤ +6 MB and
 *   ≤ +8 MB over bare deno. VmRSS beside it: mostly clean pages of the deno binary.
 * - P6: start to "connected to broker" vs `deno run` of a script that opens one TCP
 *   connection to the same broker;
 * - P7: the bundle's size (goal ≤ 600 KB);
 * - leak: RSS and anonymous memory after each fifth of LEAK jobs + LEAK samples, after the
 *   trim that follows it; flat within 2 MB after a warm-up.
 *
 *   deno task bench footprint, or deno run -A bench/footprint.ts [LEAK=10000] [RUNS=3]
 *   [MQTT=3.1.1|5]
 */
import { bundle, DENO } from "../scripts/bundle.ts";
import { controlRequest } from "../src/control/client.ts";
import { MAC } from "../tests/support/hardened_run.ts";
import { subscribe, type Subscriber } from "../tests/support/mosquitto.ts";
import { until } from "../tests/support/poll.ts";
import { tempDir, watchLines } from "../tests/support/process.ts";
import {
  bareMemory,
  type Memory,
  type RunningAgent,
  settledMemory,
  withAgent,
} from "./_measure.ts";
import { median } from "./_median.ts";
import { type BenchRow, printTable } from "./run.ts";

const LEAK = Number(Deno.args[0] ?? 10_000);
const RUNS = Number(Deno.args[1] ?? 3);
/** The protocol the agent speaks to mosquitto: `mqtt_version`. */
const MQTT = Deno.args[2] ?? "3.1.1";
const COLLECTIONS = 200;
const JOBS = 50;
/** Jobs in flight at once: inside the job pool's default queue (32), so none is BUSY. */
const JOB_BATCH = 16;
/** The agent trims at most once a minute: a wait for one is a little longer. */
const TRIM_WAIT_MS = 90_000;

/** Bare deno: spawn to one TCP connection open to the broker. */
async function bareConnectMs(port: number): Promise<number> {
  await using dir = await tempDir("ledge-bench-");
  const script = `${dir.path}/connect.js`;
  await Deno.writeTextFile(
    script,
    `(await Deno.connect({ hostname: "127.0.0.1", port: ${port} })).close();
console.error("connected");`,
  );
  const started = performance.now();
  const child = new Deno.Command(DENO, {
    args: ["run", "--quiet", "--allow-net=127.0.0.1", script],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = watchLines(child.stderr);
  await stderr.waitFor(/^connected$/);
  const elapsed = performance.now() - started;
  await Promise.all([child.status, stderr.done]);
  return elapsed;
}

/** Counts PROCESSED replies as they arrive, without rescanning old ones. */
function processedCounter(replies: Subscriber): () => number {
  let scanned = 0;
  let processed = 0;
  return () => {
    for (; scanned < replies.messages.length; scanned++) {
      if (replies.messages[scanned].includes('"event_type":"PROCESSED"')) processed++;
    }
    return processed;
  };
}

/** Publishes `count` `/bin/echo` jobs through one mosquitto_pub, a batch at a time. */
async function runJobs(port: number, replies: Subscriber, count: number, prefix: string) {
  const publisher = new Deno.Command("mosquitto_pub", {
    args: ["-h", "127.0.0.1", "-p", String(port), "-q", "1", "-l", "-t", `sub/t/k/${MAC}`],
    stdin: "piped",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const writer = publisher.stdin.getWriter();
  const encoder = new TextEncoder();
  const processed = processedCounter(replies);
  const target = processed();
  for (let sent = 0; sent < count;) {
    const batch = Math.min(JOB_BATCH, count - sent);
    const lines = Array.from({ length: batch }, (_, i) =>
      JSON.stringify({
        id: `${prefix}-${sent + i}`,
        timestamp: Math.floor(Date.now() / 1000),
        meta: { msg: "/bin/echo ok", type: "command" },
      }) + "\n");
    await writer.write(encoder.encode(lines.join("")));
    sent += batch;
    await until(() => processed() - target >= sent, `${sent} ${prefix} jobs processed`, 60_000);
  }
  await writer.close();
  await publisher.status;
}

async function ctl(socket: string, command: string): Promise<Record<string, unknown>> {
  const answer = JSON.parse(await controlRequest(socket, JSON.stringify({ command })));
  if (answer.status !== "ok") throw new Error(`${command}: ${JSON.stringify(answer)}`);
  return answer;
}

async function collectSamples(socket: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await ctl(socket, "collect");
}

/** Jobs and samples side by side, as a busy agent sees them. */
async function load(running: RunningAgent, replies: Subscriber, jobs: number, samples: number) {
  const prefix = crypto.randomUUID().slice(0, 8);
  await Promise.all([
    runJobs(running.brokerPort, replies, jobs, prefix),
    collectSamples(running.socket, samples),
  ]);
}

/** The agent's memory once it has trimmed itself after what it just did. */
async function afterOwnTrim(running: RunningAgent): Promise<Memory> {
  const trims = async () =>
    ((await ctl(running.socket, "counters")).counters as Record<string, number>)["memory-trims"];
  const before = await trims();
  await until(async () => await trims() > before, "the agent's own trim", TRIM_WAIT_MS);
  return await settledMemory(running.agent.child.pid);
}

console.log(`MQTT ${MQTT}`);
const bytes = await bundle();
const bare: Memory[] = [];
const idle: Memory[] = [];
const loaded: Memory[] = [];
const agentConnect: number[] = [];
const bareConnect: number[] = [];
const leakTrend: Memory[] = [];
for (let run = 0; run < RUNS; run++) {
  bare.push(await bareMemory());
  await withAgent(async (running) => {
    agentConnect.push(running.connectedMs);
    bareConnect.push(await bareConnectMs(running.brokerPort));
    await using replies = await subscribe(running.brokerPort, [`pub/t/k/${MAC}`]);
    // Every path taken once, as in service: a job and a sample on demand.
    await load(running, replies, 1, 1);
    idle.push(await afterOwnTrim(running));
    await load(running, replies, JOBS, COLLECTIONS);
    loaded.push(await afterOwnTrim(running));
    if (run < RUNS - 1) return;
    // In fifths, to tell a plateau (allocator high-water marks) from a steady climb; the
    // first fifth is the warm-up.
    for (let part = 0; part < 5; part++) {
      await load(running, replies, LEAK / 5, LEAK / 5);
      leakTrend.push(await afterOwnTrim(running));
    }
  }, { mqtt_version: MQTT });
}

const mb = (kb: number) => Number((kb / 1024).toFixed(1));
const medianOf = (list: Memory[], key: keyof Memory) => median(list.map((m) => m[key]));
const over = (list: Memory[], key: keyof Memory) => medianOf(list, key) - medianOf(bare, key);
const afterWarmup = leakTrend.slice(1);
const spread = (key: keyof Memory) =>
  Math.max(...afterWarmup.map((m) => m[key])) - Math.min(...afterWarmup.map((m) => m[key]));
const rows: BenchRow[] = [
  {
    name: "anonymous memory idle, agent - bare deno",
    median: mb(over(idle, "anonKb")),
    baseline: mb(medianOf(bare, "anonKb")),
    unit: "MB",
    goal: "≤ +6 MB",
  },
  {
    name: `anonymous memory after ${COLLECTIONS} collections + ${JOBS} jobs, agent - bare`,
    median: mb(over(loaded, "anonKb")),
    baseline: mb(medianOf(bare, "anonKb")),
    unit: "MB",
    goal: "≤ +8 MB",
  },
  {
    name: "RSS idle, agent vs bare deno",
    median: mb(medianOf(idle, "rssKb")),
    baseline: mb(medianOf(bare, "rssKb")),
    ratio: Number((medianOf(idle, "rssKb") / medianOf(bare, "rssKb")).toFixed(2)),
    unit: "MB",
  },
  {
    name: `RSS after ${COLLECTIONS} collections + ${JOBS} jobs, agent vs bare`,
    median: mb(medianOf(loaded, "rssKb")),
    baseline: mb(medianOf(bare, "rssKb")),
    ratio: Number((medianOf(loaded, "rssKb") / medianOf(bare, "rssKb")).toFixed(2)),
    unit: "MB",
  },
  {
    name: "P6 start to connected vs deno + TCP connect",
    median: median(agentConnect),
    baseline: median(bareConnect),
    ratio: Number((median(agentConnect) / median(bareConnect)).toFixed(2)),
    unit: "ms",
  },
  { name: "P7 bundle dist/ledge.js", median: bytes / 1024, unit: "KB", goal: "≤ 600 KB" },
  {
    name: `leak: anonymous memory spread over ${LEAK} jobs + samples, after warm-up`,
    median: mb(spread("anonKb")),
    unit: "MB",
    goal: "≤ 2 MB",
  },
  {
    name: `leak: RSS spread over ${LEAK} jobs + samples, after warm-up`,
    median: mb(spread("rssKb")),
    unit: "MB",
    goal: "≤ 2 MB",
  },
];
printTable(rows);
const trend = (key: keyof Memory) => leakTrend.map((m) => mb(m[key])).join(" → ");
console.log(`after each fifth of the leak run, anonymous: ${trend("anonKb")} MB`);
console.log(`after each fifth of the leak run, RSS: ${trend("rssKb")} MB`);
console.log(JSON.stringify({ bench: "footprint", results: rows }));
