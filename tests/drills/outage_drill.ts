/**
 * Long outage on a fake clock: one whole agent (collector, spool, uplink, health, jobs,
 * mqtt) loses its broker and its stats API for one simulated hour while jobs finish and
 * samples pile up; then both come back. Nothing collected is lost (under the cache cap),
 * no job runs twice, and every job's result reaches the back end.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { ManualClock } from "../support/clock.ts";
import { publish, startBroker, subscribe } from "../support/mosquitto.ts";
import { until } from "../support/poll.ts";
import { tempDir } from "../support/process.ts";
import { startStatsApi } from "../support/stats_api.ts";
import { report, size, tailOf, wholeBox } from "./_drill.ts";

const OUTAGE_S = 3600;
const MONITOR_S = 15;
const JOBS = size(8, 4);

Deno.test(`outage: broker and API down for ${OUTAGE_S / 3600} simulated hour`, async () => {
  await using dir = await tempDir();
  await using broker = await startBroker();
  let apiUp = true;
  await using api = startStatsApi(() => new Response(null, { status: apiUp ? 200 : 503 }));
  const clock = new ManualClock(Date.now());
  const go = `${dir.path}/go`;
  const { agent, mac, state } = await wholeBox(dir.path, broker.port, clock, {
    cache_dir: `${dir.path}/cache`,
    stats_url: api.url,
    monitor: MONITOR_S,
    heartbeat: 60,
    reconnect_max: 60,
    reboot: 0,
  });
  const counters = agent.counters;
  const tail = tailOf(mac);
  /** One simulated collection period, and real time for the collector to write it. */
  const nextSample = async () => {
    const before = counters.get("stats-cached");
    await clock.advance(MONITOR_S * 1100);
    await until(() => counters.get("stats-cached") > before, "a sample in the spool");
  };
  try {
    await agent.start();
    await until(() => counters.get("mqtt-connects") === 1, "the agent to connect");
    {
      await using early = await subscribe(broker.port, [`delivery/${tail}`]);
      for (let i = 0; i < JOBS; i++) {
        const msg = `while [ ! -e ${go} ]; do sleep 0.02; done; echo ${i} >> ${state}/runs`;
        const job = { id: `job-${i}`, timestamp: Math.floor(clock.now() / 1000), meta: { msg } };
        await publish(broker.port, `sub/${tail}`, JSON.stringify(job));
      }
      const delivered = () => early.messages.filter((m) => m.startsWith("delivery/")).length;
      await until(() => delivered() === JOBS, "every DELIVERED");
    }
    for (let i = 0; i < 4; i++) await nextSample();

    // The outage: the jobs finish while nothing can be told; samples pile up on disk.
    await broker.kill();
    apiUp = false;
    await until(() => counters.get("mqtt-disconnects") === 1, "the agent to see the broker gone");
    await Deno.writeTextFile(go, "");
    await until(() => agent.states().replies.endsWith(` ${JOBS} waiting`), "results waiting");
    const acceptedBefore = api.accepted().length;
    const outageStarted = clock.monotonic();
    while (clock.monotonic() - outageStarted < OUTAGE_S * 1000) await nextSample();
    const cachedAtEnd = counters.get("stats-cached");
    const failedUploads = counters.get("uploads-failed");

    // Back: the results and the samples go out as simulated time moves on.
    await broker.restart();
    apiUp = true;
    await using backEnd = await subscribe(broker.port, [`pub/${tail}`]);
    const replies = () => backEnd.messages.filter((m) => m.startsWith("pub/"));
    await until(
      async () => {
        await clock.advance(5000);
        return replies().length >= JOBS && api.accepted().length >= cachedAtEnd;
      },
      "results and samples delivered",
      60_000,
    );
    // Whatever is still on its way gets its chance to show up twice.
    await clock.advance(120_000);

    const accepted = api.accepted();
    const results = replies().map((m) => JSON.parse(m.slice(m.indexOf(" ") + 1)));
    const runs = (await Deno.readTextFile(`${state}/runs`)).trim().split("\n");
    report("outage", {
      "simulated outage s": OUTAGE_S,
      "samples collected": counters.get("stats-collected"),
      "samples cached at outage end": cachedAtEnd,
      "samples sent before outage": acceptedBefore,
      "samples accepted by the API": accepted.length,
      "distinct samples accepted": new Set(accepted).size,
      "samples dropped": counters.get("stats-dropped"),
      "uploads failed during outage": failedUploads,
      jobs: JOBS,
      "job runs": runs.length,
      "results delivered": results.length,
      "mqtt reconnects": counters.get("mqtt-connects") - 1,
    });
    assertEquals(counters.get("stats-dropped"), 0);
    assertEquals(new Set(accepted).size, accepted.length, "a sample was uploaded twice");
    assert(accepted.length >= cachedAtEnd, "samples of the outage were lost");
    assert(failedUploads > 0, "the API was never tried during the outage");
    assertEquals(runs.sort(), Array.from({ length: JOBS }, (_, i) => String(i)).sort());
    assertEquals(results.map((r) => r.id).sort(), runs.map((i) => `job-${i}`).sort());
    assert(results.every((r) => r.event_type === "PROCESSED"), JSON.stringify(results));
  } finally {
    await agent.stop();
  }
});
