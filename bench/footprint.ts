/**
 * The agent's footprint, measured on the bundle under its hardened preset against a private
 * mosquitto and a stats API on loopback (MQTT connected, collector, spool, uplink and
 * control socket up), each figure against a baseline measured in the same run:
 *
 * - P1: steady-state RSS vs `deno run` of a script that only waits (goal ≤ 1.35×);
 * - P6: start to "connected to broker" vs `deno run` of a script that opens one TCP
 *   connection to the same broker;
 * - P7: the bundle's size (goal ≤ 600 KB);
 * - leak: RSS after LEAK jobs (published through the broker, `/bin/echo`) and LEAK samples
 *   (the control socket's `collect`) vs before them (goal ≤ +2 MB).
 *
 *   deno task bench footprint, or deno run -A bench/footprint.ts [LEAK=10000] [RUNS=3]
 */
import { BUNDLE, bundle, DENO, presetFlags } from "../scripts/bundle.ts";
import { baselineRss, median, rssKb } from "./_measure.ts";
import { controlRequest } from "../src/control/client.ts";
import { hardenedSetup, MAC, STARTED } from "../tests/support/hardened_run.ts";
import { subscribe, type Subscriber } from "../tests/support/mosquitto.ts";
import { until } from "../tests/support/poll.ts";
import { type LedgeProcess, spawnLedge, tempDir, watchLines } from "../tests/support/process.ts";
import { type BenchRow, printTable } from "./run.ts";

const LEAK = Number(Deno.args[0] ?? 10_000);
const RUNS = Number(Deno.args[1] ?? 3);
/** Jobs in flight at once: inside the job pool's default queue (32), so none is BUSY. */
const JOB_BATCH = 16;
const CONNECTED = /"message":"connected to broker"/;

interface RunningAgent {
  agent: LedgeProcess;
  socket: string;
  brokerPort: number;
  /** From spawn to the "connected to broker" line. */
  connectedMs: number;
}

/** Runs the bundled agent under its preset for the duration of `use`. */
async function withAgent<T>(use: (running: RunningAgent) => Promise<T>): Promise<T> {
  await using setup = await hardenedSetup();
  const { broker, config, socket } = setup;
  const flags = await presetFlags(config);
  const started = performance.now();
  const agent = spawnLedge(["run", `--config=${config}`, "--log-format=json"], {
    flags,
    script: BUNDLE,
    runtime: [DENO],
  });
  try {
    await agent.waitFor(CONNECTED, 60_000);
    const connectedMs = performance.now() - started;
    await agent.waitFor(STARTED);
    return await use({ agent, socket, brokerPort: broker.port, connectedMs });
  } finally {
    agent.kill("SIGTERM");
    await agent.status;
  }
}

/** Median of a few RSS readings a little apart: one reading can catch a GC mid-way. */
async function settledRss(pid: number): Promise<number> {
  const readings: number[] = [];
  for (let i = 0; i < 5; i++) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    readings.push(await rssKb(pid));
  }
  return median(readings);
}

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

async function collectSamples(socket: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const answer = JSON.parse(await controlRequest(socket, '{"command":"collect"}'));
    if (answer.status !== "ok") throw new Error(`collect: ${JSON.stringify(answer)}`);
  }
}

/** Jobs and samples side by side, as a busy agent sees them. */
async function load(running: RunningAgent, replies: Subscriber, count: number, prefix: string) {
  await Promise.all([
    runJobs(running.brokerPort, replies, count, prefix),
    collectSamples(running.socket, count),
  ]);
}

const bytes = await bundle();
const agentRss: number[] = [];
const idleRss: number[] = [];
const agentConnect: number[] = [];
const bareConnect: number[] = [];
let leak = { before: 0, after: 0 };
const leakTrend: number[] = [];
for (let run = 0; run < RUNS; run++) {
  idleRss.push(await baselineRss());
  await withAgent(async (running) => {
    agentConnect.push(running.connectedMs);
    bareConnect.push(await bareConnectMs(running.brokerPort));
    await using replies = await subscribe(running.brokerPort, [`pub/t/k/${MAC}`]);
    // Every path taken once, as in service: a job and a sample on demand.
    await load(running, replies, 1, `warm${run}`);
    agentRss.push(await settledRss(running.agent.child.pid));
    if (run < RUNS - 1) return;
    // The leak run warms up first, so that the JIT's and the allocator's start-up growth
    // is not counted as a leak.
    await load(running, replies, Math.min(1000, LEAK), "warmup");
    leak.before = await settledRss(running.agent.child.pid);
    // In fifths, to tell a plateau (allocator high-water marks) from a steady climb.
    for (let part = 0; part < 5; part++) {
      await load(running, replies, Math.round(LEAK / 5), `leak${part}`);
      leakTrend.push(await settledRss(running.agent.child.pid));
    }
    leak = { ...leak, after: leakTrend[leakTrend.length - 1] };
  });
}

const mb = (kb: number) => kb / 1024;
const ratio = (a: number, b: number) => Number((a / b).toFixed(2));
const rows: BenchRow[] = [
  {
    name: "P1 RSS, agent steady state vs deno idle",
    median: mb(median(agentRss)),
    baseline: mb(median(idleRss)),
    ratio: ratio(median(agentRss), median(idleRss)),
    unit: "MB",
    goal: "ratio ≤ 1.35",
  },
  {
    name: "P6 start to connected vs deno + TCP connect",
    median: median(agentConnect),
    baseline: median(bareConnect),
    ratio: ratio(median(agentConnect), median(bareConnect)),
    unit: "ms",
  },
  { name: "P7 bundle dist/ledge.js", median: bytes / 1024, unit: "KB", goal: "≤ 600 KB" },
  {
    name: `leak: RSS after ${LEAK} jobs + ${LEAK} samples vs before`,
    median: mb(leak.after),
    baseline: mb(leak.before),
    ratio: ratio(leak.after, leak.before),
    unit: "MB",
    goal: "≤ +2 MB",
  },
];
printTable(rows);
console.log(
  `leak run, RSS before and after each fifth: ${
    [leak.before, ...leakTrend].map((kb) => mb(kb).toFixed(1)).join(" → ")
  } MB`,
);
console.log(JSON.stringify({ bench: "footprint", results: rows }));
