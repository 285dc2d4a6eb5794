/**
 * The bundle's footprint: its size, and the resident memory of the bundled agent once
 * started under its preset (the hardened run, against mosquitto and a stats API) against a
 * baseline measured in the same run: `deno run` of a script that only waits. Medians of
 * RUNS runs; prints a table, then the same as JSON.
 *
 *   deno run --allow-read --allow-write=dist,/tmp --allow-net=127.0.0.1 --allow-env=PATH \
 *     --allow-run=deno,ps,/usr/sbin/mosquitto,mosquitto_sub,mosquitto_pub scripts/footprint.ts
 */
import { BUNDLE, bundle, DENO, run } from "./bundle.ts";
import { hardenedRun } from "../tests/support/hardened_run.ts";
import { tempDir, watchLines } from "../tests/support/process.ts";

const RUNS = 3;

/** Resident memory of a live process, in KB (Deno grants another's /proc only with -A). */
export async function rssKb(pid: number): Promise<number> {
  return Number((await run("ps", ["-o", "rss=", "-p", String(pid)])).trim());
}

async function agentRss(): Promise<number> {
  let rss = 0;
  const onStarted = async (agent: { child: Deno.ChildProcess }) => {
    rss = await rssKb(agent.child.pid);
  };
  await hardenedRun({ script: BUNDLE, onStarted }, async (name, check) => {
    await check().catch((error) => {
      throw new Error(`${name}: ${error.message}`);
    });
  });
  return rss;
}

export async function baselineRss(): Promise<number> {
  await using dir = await tempDir("ledge-footprint-");
  const script = `${dir.path}/idle.js`;
  await Deno.writeTextFile(
    script,
    'console.error("ready"); await Deno.stdin.read(new Uint8Array(1));',
  );
  const child = new Deno.Command(DENO, {
    args: ["run", "--quiet", script],
    stdin: "piped",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const stderr = watchLines(child.stderr);
  await stderr.waitFor(/^ready$/);
  const rss = await rssKb(child.pid);
  await child.stdin.close();
  await Promise.all([child.status, stderr.done]);
  return rss;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

if (import.meta.main) {
  const bytes = await bundle();
  const agent: number[] = [];
  const baseline: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    baseline.push(await baselineRss());
    agent.push(await agentRss());
  }
  const result = {
    bundle_kb: Math.round(bytes / 1024),
    agent_rss_kb: median(agent),
    baseline_rss_kb: median(baseline),
    ratio: Number((median(agent) / median(baseline)).toFixed(2)),
  };
  console.log(`bundle dist/ledge.js          ${result.bundle_kb} KB`);
  console.log(`RSS agent started (median)    ${result.agent_rss_kb} KB`);
  console.log(`RSS deno run, idle script     ${result.baseline_rss_kb} KB`);
  console.log(`ratio agent / baseline        ${result.ratio}`);
  console.log(JSON.stringify(result));
}
