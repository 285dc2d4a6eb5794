/**
 * The cost of the job runner: spawning `true` through `denoExec` (own session, piped
 * output, tail buffer, timers; and `alone`, in this process's group, as the collectors'
 * readers run) against a raw `Deno.Command(...).output()`, and the cost of a job through
 * JobsCapability (parse, journal fsync, runner, replies). Medians of interleaved
 * runs, ratios against the raw spawn measured in the same run. Then the journal's load of
 * 10 000 ids at start, against reading and parsing the same file.
 */
import { median } from "./_median.ts";
import { printTable } from "./run.ts";
import { denoExec } from "../src/io/mod.ts";
import { JobJournal, JOURNAL_FILE } from "../src/jobs/journal.ts";
import { job, jobsConfig, payload, startJobs } from "../tests/support/jobs.ts";

const RUNS = 200;
const JOURNAL_IDS = 10_000;
const JOURNAL_RUNS = 20;

async function time(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

const dir = await Deno.makeTempDir({ prefix: "ledge-bench-jobs-" });
try {
  await using jobs = await startJobs(jobsConfig({ state_dir: dir }), { exec: denoExec });
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
    {
      name: "JobsCapability job `true` (sh, fsync)",
      median: median(service),
      baseline,
      unit: "ms",
    },
  ].map((row) => row.baseline ? { ...row, ratio: row.median / row.baseline } : row);
  printTable(rows, `jobs: ${RUNS} runs each, interleaved`);
  const journalRows = await journalLoad(`${dir}/journal`);
  printTable(journalRows, `jobs: journal of ${JOURNAL_IDS} ids, ${JOURNAL_RUNS} loads each`);
  rows.push(...journalRows);
  console.log(JSON.stringify({ bench: "jobs", results: rows }));
} finally {
  await Deno.remove(dir, { recursive: true });
}

/** Opening a journal of 10 000 ids, against reading and parsing its lines alone. */
async function journalLoad(dir: string) {
  await Deno.mkdir(dir);
  const now = Date.now();
  const at = Math.floor(now / 1000);
  const lines = Array.from({ length: JOURNAL_IDS }, (_, i) => JSON.stringify([at, `job-${i}`]));
  const path = `${dir}/${JOURNAL_FILE}`;
  await Deno.writeTextFile(path, lines.join("\n") + "\n");
  const parse: number[] = [];
  const open: number[] = [];
  for (let i = 0; i < JOURNAL_RUNS; i++) {
    parse.push(
      await time(async () => {
        for (const line of (await Deno.readTextFile(path)).trim().split("\n")) JSON.parse(line);
      }),
    );
    open.push(
      await time(async () => {
        const journal = await JobJournal.open(dir, { now: () => now });
        if (journal.size !== JOURNAL_IDS) throw new Error(`loaded ${journal.size} ids`);
        await journal.close();
      }),
    );
  }
  const baseline = median(parse);
  const loaded = median(open);
  return [
    { name: "read + JSON.parse 10 000 journal lines", median: baseline, unit: "ms" },
    {
      name: "JobJournal.open, 10 000 ids",
      median: loaded,
      baseline,
      ratio: loaded / baseline,
      unit: "ms",
    },
  ];
}
