/**
 * Clock jumps: the wall clock is stepped by hours, forward and back, as NTP does on a box
 * without an RTC. Jobs accepted before a step still run (no TIMEOUT, no EXPIRED), a job
 * sent after one is not refused, and the reboot watchdog counts monotonic time only: it
 * stays quiet while online and fires after `reboot` seconds offline, not at a step.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { startBroker, subscribe } from "../support/mosquitto.ts";
import { until } from "../support/poll.ts";
import { tempDir } from "../support/process.ts";
import { ManualClock } from "../support/clock.ts";
import { advanceUntil, backEndOf, report, tailOf, wholeBox } from "./_drill.ts";

const HOUR = 3_600_000;
const REBOOT_S = 300;

Deno.test("clock jumps: jobs keep their meaning, the watchdog its patience", async () => {
  await using dir = await tempDir();
  await using broker = await startBroker();
  const clock = new ManualClock(Date.now());
  const go = `${dir.path}/go`;
  const { agent, mac } = await wholeBox(dir.path, broker.port, clock, {
    "no-cache": 1,
    health_url: "127.0.0.1",
    health_port: broker.port,
    reboot: REBOOT_S,
    reboot_cmd: "true",
    recovery_cmd: "true",
    job_concurrency: 1,
  });
  const counters = agent.counters;
  try {
    await agent.start();
    await using watch = await subscribe(broker.port, [`pub/${tailOf(mac)}`]);
    const { send: job, results } = backEndOf(broker.port, mac, watch);
    await until(() => counters.get("mqtt-connects") === 1, "the agent to connect");

    // One job runs, one waits behind it with an expiry two minutes out; then NTP steps.
    const inTwoMinutes = Math.floor(Date.now() / 1000) + 120;
    await job("running", `while [ ! -e ${go} ]; do sleep 0.02; done`, { timeout: 60 });
    await job("queued", "echo queued", { expires: inTwoMinutes });
    await until(() => counters.get("jobs-received") === 2, "both jobs accepted");
    clock.step(+3 * HOUR);
    await clock.advance(10_000);
    await Deno.writeTextFile(go, "");
    clock.step(-6 * HOUR);
    await job("after-step", "echo after", { expires: inTwoMinutes });
    await advanceUntil(clock, () => results().length === 3, "three results");

    // Online for longer than the start grace and the reboot delay, stepped every 5 minutes.
    const steps = [+3 * HOUR, -6 * HOUR, +12 * HOUR, -9 * HOUR];
    for (const step of steps) {
      clock.step(step);
      const until5Min = clock.monotonic() + 5 * 60_000;
      await advanceUntil(clock, () => clock.monotonic() >= until5Min, "5 minutes", 5000);
    }
    const rebootsOnline = counters.get("recovery-reboots");
    const offlineOnline = counters.get("health-offline");

    // Offline: a step of a day must not shorten the watchdog's wait.
    await broker.kill();
    await advanceUntil(clock, () => counters.get("health-offline") === 1, "offline", 1000);
    const offlineAt = clock.monotonic();
    clock.step(+24 * HOUR);
    await advanceUntil(
      clock,
      () => clock.monotonic() - offlineAt >= (REBOOT_S - 60) * 1000,
      "most of the reboot delay",
      1000,
    );
    const rebootsEarly = counters.get("recovery-reboots");
    await advanceUntil(clock, () => counters.get("recovery-reboots") === 1, "the reboot", 1000);
    const rebootAfterS = Math.round((clock.monotonic() - offlineAt) / 1000);

    const events = Object.fromEntries(results().map((r) => [r.id, r.event_type]));
    report("clock-jumps", {
      "wall steps h": [3, -6, ...steps.map((s) => s / HOUR), 24].join(" "),
      "job results": events,
      "reboots while online": rebootsOnline,
      "offline transitions while online": offlineOnline,
      "reboots in the first 240 s offline": rebootsEarly,
      "reboot s after going offline": rebootAfterS,
      "recovery restarts": counters.get("recovery-restarts"),
    });
    assertEquals(events, { running: "PROCESSED", queued: "PROCESSED", "after-step": "PROCESSED" });
    assertEquals([rebootsOnline, offlineOnline, rebootsEarly], [0, 0, 0]);
    assert(rebootAfterS >= REBOOT_S - 60, `rebooted after ${rebootAfterS} s offline`);
  } finally {
    await agent.stop();
  }
});
