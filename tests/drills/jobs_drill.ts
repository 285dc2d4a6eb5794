/**
 * 10 000 jobs through a real mosquitto to one agent (a subprocess, so that its RSS is its
 * own), sent by a back end that keeps a window of jobs unanswered: every job runs once,
 * every job gets one DELIVERED and one result, and the agent's RSS levels off (the second
 * half of the jobs adds less than half of what the first did).
 */
import { assert, assertEquals } from "../support/assert.ts";
import { startBroker } from "../support/mosquitto.ts";
import { until } from "../support/poll.ts";
import { connectBackEnd } from "../support/back_end.ts";
import { spawnLedge, tempDir } from "../support/process.ts";
import { PRESET_V8_FLAGS } from "../../src/permissions.ts";
import { boxKeys, macOf, report, size, tailOf } from "./_drill.ts";

/**
 * The short run is long enough for the warm-up to fall in its first half: RSS takes one
 * step of 5-7 MB around job 500-600 (with shell jobs behind their journal gate), then stays
 * flat (10 000 jobs: +1.0 MB in the second half).
 */
const JOBS = size(10_000, 2_000);
/** Jobs the back end leaves unanswered at once: below the agent's queue (32), so no BUSY. */
const WINDOW = 24;
const MB = 1024 * 1024;

/** The resident set of a process (`ps`: reading /proc/PID needs --allow-all in Deno). */
async function rssOf(pid: number): Promise<number> {
  const out = await new Deno.Command("ps", { args: ["-o", "rss=", "-p", String(pid)] }).output();
  return Number(new TextDecoder().decode(out.stdout).trim()) * 1024;
}

Deno.test(`jobs: ${JOBS} jobs through mosquitto, none lost, none twice, memory flat`, async () => {
  await using dir = await tempDir();
  await using broker = await startBroker();
  const state = `${dir.path}/state`;
  await Deno.mkdir(state);
  const mac = macOf(0);
  const config = `${dir.path}/config.json`;
  await Deno.writeTextFile(
    config,
    JSON.stringify({ ...boxKeys(0, broker.port), state_dir: state, "no-cache": 1 }),
  );
  // Only what jobs over MQTT need: the collector, health and uplink are off for lack of flags.
  // V8 flags as the preset sets them (the young generation capped), as on a box.
  const agent = spawnLedge(["run", `--config=${config}`, "-S", `${dir.path}/ctl.sock`], {
    flags: [
      PRESET_V8_FLAGS,
      `--allow-read=${config},${state}`,
      `--allow-write=${state}`,
      `--allow-net=127.0.0.1:${broker.port}`,
      "--allow-run=/bin/sh",
      // The state dir's owner is checked against this process's uid.
      "--allow-sys=uid",
    ],
  });
  const tail = tailOf(mac);
  const results = new Uint8Array(JOBS);
  const deliveries = new Uint8Array(JOBS);
  const events = new Map<string, number>();
  let answered = 0;
  // Every topic of the device: the replies on pub/ and delivery/, the rest passed over.
  await using backEnd = await connectBackEnd(broker.port, `+/${tail}`, (topic, buffer) => {
    if (!topic.startsWith("pub/") && !topic.startsWith("delivery/")) return;
    const reply = JSON.parse(new TextDecoder().decode(buffer));
    const n = Number(reply.id.slice("job-".length));
    if (topic.startsWith("delivery/")) return void deliveries[n]++;
    results[n]++;
    answered++;
    events.set(reply.event_type, (events.get(reply.event_type) ?? 0) + 1);
  });
  try {
    await agent.waitFor(/INFO mqtt connected to broker/, 20_000);
    /** The agent's RSS after each tenth of the jobs: it must level off, not climb. */
    const rssByTenth: number[] = [];
    const started = performance.now();
    for (let n = 0; n < JOBS; n++) {
      if (n > 0 && n % (JOBS / 10) === 0) {
        await until(() => answered === n, `the first ${n} jobs`, 60_000);
        rssByTenth.push(await rssOf(agent.child.pid));
      }
      await until(() => n - answered < WINDOW, `room in the window at job ${n}`, 30_000);
      const job = {
        id: `job-${n}`,
        timestamp: Math.floor(Date.now() / 1000),
        meta: { msg: `echo ${n} >> ${state}/runs; echo ${n}` },
      };
      await backEnd.publish(`sub/${tail}`, JSON.stringify(job)).acked;
    }
    await until(() => answered >= JOBS, "every result", 60_000);
    await until(() => deliveries.every((d) => d > 0), "every DELIVERED");
    const seconds = (performance.now() - started) / 1000;
    rssByTenth.push(await rssOf(agent.child.pid));
    const [first, half, end] = [rssByTenth[0], rssByTenth[4], rssByTenth[9]];
    const runs = new Uint8Array(JOBS);
    for (const line of (await Deno.readTextFile(`${state}/runs`)).split("\n")) {
      if (line) runs[Number(line)]++;
    }
    const count = (array: Uint8Array, times: number) => array.filter((c) => c === times).length;
    report("jobs", {
      jobs: JOBS,
      "jobs/s": Math.round(JOBS / seconds),
      "ran once": count(runs, 1),
      "ran twice or more": runs.filter((c) => c > 1).length,
      "never ran": count(runs, 0),
      "one result each": count(results, 1),
      "one DELIVERED each": count(deliveries, 1),
      events: Object.fromEntries(events),
      "agent rss MB by tenth": rssByTenth.map((r) => (r / MB).toFixed(0)).join(" "),
      "rss growth 1st half MB": ((half - first) / MB).toFixed(1),
      "rss growth 2nd half MB": ((end - half) / MB).toFixed(1),
    });
    assertEquals(count(runs, 1), JOBS, "every job ran exactly once");
    assertEquals(count(results, 1), JOBS, "every job got exactly one result");
    assertEquals(count(deliveries, 1), JOBS, "every job got exactly one DELIVERED");
    assertEquals(Object.fromEntries(events), { PROCESSED: JOBS });
    // A leak grows both halves alike; warming up (heap, code, buffers) grows the first.
    assert(end - half < (half - first) / 2, "memory grows with the number of jobs");
  } finally {
    agent.kill();
    await agent.status;
  }
});
