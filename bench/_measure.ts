/**
 * What the benches share to measure: medians, a process's memory as the kernel reports it,
 * bare deno as the baseline, and the bundled agent under its preset against a private
 * mosquitto and stats API. Another process's /proc is read through `cat` (Deno grants it
 * only with -A).
 */
import { BUNDLE, DENO, presetFlags, run } from "../scripts/bundle.ts";
import { median } from "./_median.ts";
import { hardenedSetup, STARTED } from "../tests/support/hardened_run.ts";
import { type LedgeProcess, spawnLedge, tempDir, watchLines } from "../tests/support/process.ts";

/** A process's memory in KB: resident, and the anonymous part a router cannot reclaim. */
export interface Memory {
  /** VmRSS: mostly clean, shared pages of the deno binary. */
  rssKb: number;
  /** Private_Dirty of /proc/PID/smaps_rollup: heap, stacks, written pages. */
  anonKb: number;
}

function field(text: string, name: string): number {
  const match = new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(text);
  if (!match) throw new Error(`no ${name} in /proc`);
  return Number(match[1]);
}

export async function memoryOf(pid: number): Promise<Memory> {
  const [rollup, status] = await Promise.all([
    run("cat", [`/proc/${pid}/smaps_rollup`]),
    run("cat", [`/proc/${pid}/status`]),
  ]);
  return { rssKb: field(status, "VmRSS"), anonKb: field(rollup, "Private_Dirty") };
}

/** The median of a few readings a little apart: one reading can catch a GC mid-way. */
export async function settledMemory(pid: number, readings = 5, gapMs = 300): Promise<Memory> {
  const taken: Memory[] = [];
  for (let i = 0; i < readings; i++) {
    await new Promise((resolve) => setTimeout(resolve, gapMs));
    taken.push(await memoryOf(pid));
  }
  return {
    rssKb: median(taken.map((m) => m.rssKb)),
    anonKb: median(taken.map((m) => m.anonKb)),
  };
}

/** Bare deno running a script that only waits, measured as the agent is: settled. */
export async function bareMemory(): Promise<Memory> {
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
  const memory = await settledMemory(child.pid);
  await child.stdin.close();
  await Promise.all([child.status, stderr.done]);
  return memory;
}

/** The middle value (the upper one of an even count). */

export interface RunningAgent {
  agent: LedgeProcess;
  /** The control socket. */
  socket: string;
  brokerPort: number;
  /** From spawn to the "connected to broker" line. */
  connectedMs: number;
}

const CONNECTED = /"message":"connected to broker"/;

/**
 * Runs the bundled agent under its preset, as the packages run it (`DENO_USR2_MEMORY_TRIM`
 * set), connected to a private mosquitto, for the duration of `use`; `keys` change the
 * hardened config.
 */
export async function withAgent<T>(
  use: (running: RunningAgent) => Promise<T>,
  keys: Record<string, unknown> = {},
): Promise<T> {
  await using setup = await hardenedSetup(keys);
  const { broker, config, socket } = setup;
  const flags = await presetFlags(config);
  const started = performance.now();
  const agent = spawnLedge(["run", `--config=${config}`, "--log-format=json"], {
    flags,
    script: BUNDLE,
    runtime: [DENO],
    env: { DENO_USR2_MEMORY_TRIM: "1" },
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
