/**
 * The cost of the job runner: spawning `true` through `denoExec` (own session, piped
 * output, tail buffer, timers; and `alone`, in this process's group, as the collectors'
 * readers run) against a raw `Deno.Command(...).output()`, and the cost of a job through
 * JobService (parse, journal fsync, runner, replies). Medians of interleaved
 * runs, ratios against the raw spawn measured in the same run.
 */
import { median } from "./_median.ts";
import { printTable } from "./run.ts";
import { denoExec } from "../src/io/mod.ts";
import { job, jobsConfig, payload, startJobs } from "../tests/support/jobs.ts";

const RUNS = 200;

async function time(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

const dir = await Deno.makeTempDir({ prefix: "ledge-bench-jobs-" });
try {
  await using jobs = await startJobs(jobsConfig({ state_dir: dir }));
  const raw: number[] = [];
  const runner: number[] = [];
  const alone: number[] = [];
  const service: number[] = [];
  const trueRequest = { argv: ["/bin/true"], timeoutMs: 10_000, outputMax: 51200 };
  for (let i = 0; i < RUNS; i++) {
    raw.push(await time(() => new Deno.Command("/bin/true", { stdin: "null" }).output()));
    runner.push(await time(() => denoExec.run(trueRequest)));
    alone.push(await time(() => denoExec.run({ ...trueRequest, alone: true })));
    service.push(
      await time(async () => {
        jobs.service.receive(payload(job(`bench-${i}`, "true")));
        await jobs.service.idle();
      }),
    );
  }
  const baseline = median(raw);
  const rows = [
    { name: "raw Deno.Command /bin/true", median: baseline, unit: "ms" },
    { name: "denoExec /bin/true", median: median(runner), baseline, unit: "ms" },
    { name: "denoExec /bin/true, alone", median: median(alone), baseline, unit: "ms" },
    { name: "JobService job `true` (sh, fsync)", median: median(service), baseline, unit: "ms" },
  ].map((row) => row.baseline ? { ...row, ratio: row.median / row.baseline } : row);
  printTable(rows, `jobs: ${RUNS} runs each, interleaved`);
  console.log(JSON.stringify({ bench: "jobs", results: rows }));
} finally {
  await Deno.remove(dir, { recursive: true });
}
