/**
 * CPU per collection over a generated router (50 interfaces, 2 000 leases, 200 stations),
 * served by a fake Fs/Exec so only parsing and assembly are measured; then 10× and 100×
 * to show the growth is linear. Prints a table and one JSON line.
 *
 *   deno run bench/collect.ts
 */
import { median } from "./_median.ts";
import { testConfig, testContext } from "../tests/support/context.ts";
import { cpuUsage } from "node:process";
import { ManualClock } from "../tests/support/clock.ts";
import { fakeRouter, fakeSystem, type RouterSize } from "../tests/support/fake_router.ts";
import { CollectCapability, LastSampleSink } from "../src/collect/mod.ts";

const BASE: RouterSize = { interfaces: 50, leases: 2_000, stations: 200 };
const SCALES = [
  { scale: 1, runs: 61, warmup: 20 },
  { scale: 10, runs: 11, warmup: 3 },
  { scale: 100, runs: 5, warmup: 1 },
];
const GOAL_MS = 3;

async function measure(size: RouterSize, runs: number, warmup: number): Promise<number> {
  const { fs, exec } = fakeRouter(size);
  const ctx = testContext(
    testConfig({ mac: "88-DC-96-00-00-01" }),
    { clock: new ManualClock(), fs, exec },
    { level: "error" },
  );
  const collector = new CollectCapability(
    ctx,
    new LastSampleSink(),
    {
      system: fakeSystem(size.interfaces),
      allowed: () => true,
    },
  );
  const times: number[] = [];
  for (let i = 0; i < runs + warmup; i++) {
    // CPU time, not wall time: the machine is shared, and waiting is not what we measure.
    const started = cpuUsage();
    const { read } = await collector.collect();
    const spent = cpuUsage(started);
    const elapsed = (spent.user + spent.system) / 1000;
    if (read !== 11) throw new Error(`only ${read} sources read`);
    if (i >= warmup) times.push(elapsed); // the first runs warm the JIT up
  }
  return median(times);
}

const rows = [];
for (const { scale, runs, warmup } of SCALES) {
  const size = {
    interfaces: BASE.interfaces * scale,
    leases: BASE.leases * scale,
    stations: BASE.stations * scale,
  };
  rows.push({ scale, ...size, runs, median_cpu_ms: await measure(size, runs, warmup) });
}
const baseline = rows[0].median_cpu_ms;
const table = rows.map((r) => ({
  ...r,
  median_cpu_ms: Number(r.median_cpu_ms.toFixed(3)),
  ratio: Number((r.median_cpu_ms / baseline).toFixed(2)),
}));

console.log("scale  interfaces  leases   stations  runs  median CPU ms ratio");
for (const r of table) {
  console.log(
    `${`${r.scale}x`.padEnd(7)}${String(r.interfaces).padEnd(12)}${String(r.leases).padEnd(9)}` +
      `${String(r.stations).padEnd(10)}${String(r.runs).padEnd(6)}${
        r.median_cpu_ms.toFixed(3).padEnd(11)
      }${r.ratio}`,
  );
}
// The report line `deno task bench` (bench/run.ts on main) collects.
console.log(JSON.stringify({
  bench: "collect",
  results: table.map((r) => ({
    name: `collection ${r.scale}x (${r.interfaces} if, ${r.leases} leases, ${r.stations} sta)`,
    median: r.median_cpu_ms,
    unit: "ms CPU",
    baseline: table[0].median_cpu_ms,
    ratio: r.ratio,
    goal: r.scale === 1 ? `<= ${GOAL_MS} ms` : `~${r.scale}x (linear)`,
  })),
}));
