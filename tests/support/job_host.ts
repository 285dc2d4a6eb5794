/**
 * A JobsCapability in a process of its own, for tests that kill it or measure its memory.
 * Usage: job_host.ts <config-json> <payload-json>...
 * Runs the jobs one after the other; prints one JSON line per reply as it is sent and
 * `{"memory": Deno.MemoryUsage}` after each job, then exits.
 */
import { denoExec } from "../../src/io/mod.ts";
import { jobsConfig, payload, startJobs } from "./jobs.ts";
import type { JobReply, ReplyKind } from "../../src/replies/wire.ts";

const [configJson, ...payloads] = Deno.args;
const encoder = new TextEncoder();
const print = (value: unknown) =>
  Deno.stdout.writeSync(encoder.encode(JSON.stringify(value) + "\n"));

// The real runner: this host exists to be killed and measured while programs run.
const jobs = await startJobs(jobsConfig(JSON.parse(configJson)), { exec: denoExec });
jobs.replies.send = (kind: ReplyKind, reply: JobReply) => void print({ kind, reply });
for (const text of payloads) {
  jobs.service.receive(payload(JSON.parse(text)));
  await jobs.service.idle();
  print({ memory: Deno.memoryUsage() });
}
await jobs.service.stop();
