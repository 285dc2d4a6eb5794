import { assert, assertEquals } from "../../tests/support/assert.ts";
import type { ConnectivityReport } from "./connectivity.ts";
import type { Clock } from "../io/clock.ts";
import type { ExecResult } from "../io/exec.ts";
import { okResult } from "../../tests/support/fakes.ts";
import { type NetworkCheck, runNetworkJob } from "./network.ts";

/** A clock whose sleeps pass at once, moving monotonic time forward. */
function fakeClock(): Clock {
  let t = 0;
  return { now: () => t, monotonic: () => t, sleep: (ms) => (t += ms, Promise.resolve()) };
}

/**
 * Connectivity answering from a script (one answer per check, the last repeated) and
 * counting recoveries.
 */
function scripted(answers: boolean[], recoveries: number[]) {
  const checks: boolean[] = [];
  return {
    checks,
    check: (): Promise<ConnectivityReport> => {
      const online = answers[Math.min(checks.length, answers.length - 1)];
      checks.push(online);
      return Promise.resolve({ online, details: [] });
    },
    recover: (): Promise<ExecResult | undefined> => (
      recoveries.push(1), Promise.resolve(okResult(""))
    ),
  };
}

function setup(answers: boolean[]) {
  const recoveries: number[] = [];
  const connectivity = scripted(answers, recoveries);
  const check: NetworkCheck = {
    connectivity,
    clock: fakeClock(),
    windowMs: 60_000,
    pollMs: 5_000,
  };
  const run = (): Promise<ExecResult> => Promise.resolve(okResult("done"));
  return { connectivity, recoveries, check, run };
}

Deno.test("a network job that keeps the link needs no recovery", async () => {
  const { check, run, recoveries } = setup([true]);
  const { result, network } = await runNetworkJob(run, check);
  assertEquals(result.output, "done");
  assertEquals(network, { online_before: true, online_after: true });
  assertEquals(recoveries.length, 0);
});

Deno.test("a link that comes back within the window needs no recovery", async () => {
  const { check, run, recoveries, connectivity } = setup([true, false, false, true]);
  const { network } = await runNetworkJob(run, check);
  assertEquals(network, { online_before: true, online_after: true });
  assertEquals([recoveries.length, connectivity.checks.length], [0, 4]);
});

Deno.test("a network job that broke the link runs recovery and reports recovered", async () => {
  // before: up; after: down for the whole window (13 checks); after recovery: up.
  const answers = [true, ...Array(13).fill(false), true];
  const { check, run, recoveries } = setup(answers);
  const { network } = await runNetworkJob(run, check);
  assertEquals(network, { online_before: true, online_after: false, recovered: true });
  assertEquals(recoveries.length, 1);
});

Deno.test("a recovery that does not bring the link back says so", async () => {
  const { check, run, recoveries } = setup([true, false]);
  const { network } = await runNetworkJob(run, check);
  assertEquals(network, { online_before: true, online_after: false, recovered: false });
  assertEquals(recoveries.length, 1);
});

Deno.test("a link already down before the job is not 'recovered' by the job", async () => {
  const { check, run, recoveries } = setup([false]);
  const { network } = await runNetworkJob(run, check);
  assertEquals(network, { online_before: false, online_after: false });
  assertEquals(recoveries.length, 0);
});

Deno.test("with recovery disabled, a broken link is reported not recovered", async () => {
  const { check, run, connectivity } = setup([true, false]);
  connectivity.recover = () => Promise.resolve(undefined);
  const { network } = await runNetworkJob(run, check);
  assertEquals(network, { online_before: true, online_after: false, recovered: false });
});

Deno.test("a cancel while waiting for the link stops the wait and recovers nothing", async () => {
  const { check, run, recoveries, connectivity } = setup([true, false]);
  const controller = new AbortController();
  let sleeps = 0;
  const clock = check.clock;
  check.clock = {
    ...clock,
    sleep: async (ms, signal) => {
      if (++sleeps === 2) controller.abort();
      await clock.sleep(ms);
      if (signal?.aborted) throw signal.reason;
    },
  };
  const { network } = await runNetworkJob(run, { ...check, signal: controller.signal });
  assertEquals(network, { online_before: true, online_after: false });
  assertEquals(recoveries.length, 0);
  assert(connectivity.checks.length <= 4, `${connectivity.checks.length} checks`);
});
