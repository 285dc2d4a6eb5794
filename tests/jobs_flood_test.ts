/**
 * 10 000 payloads that must not run — malformed, oversized, unsigned, badly signed, too
 * old, expired and replayed — and not one execution, each answered or counted with its
 * reason, and the log not flooded.
 */
import { assert, assertEquals } from "./support/assert.ts";
import { tempDir } from "./support/process.ts";
import { FakeExec } from "./support/fakes.ts";
import { jobsConfig, payload, startJobs } from "./support/jobs.ts";
import { MAX_MSG_BYTES } from "../src/jobs/job.ts";
import { signJob } from "../src/signing/mod.ts";
import { JOBS_MAC } from "./support/jobs.ts";
import { denoExec } from "../src/io/mod.ts";

const SECRET = "flood-test-secret-0123456789";

interface Bad {
  bytes: Uint8Array;
  /** The answer it must get, or undefined when it has no readable id (counted only). */
  expect?: { id: string; event: string; reason?: RegExp };
}

/** `count` bad payloads whose command, if it ever ran, would create `marker`. */
async function badPayloads(
  count: number,
  marker: string,
): Promise<{ replay: Uint8Array; bad: Bad[] }> {
  const now = Math.floor(Date.now() / 1000);
  const msg = `touch ${marker}`;
  const signed = async (id: string, extra: Record<string, unknown> = {}) => {
    const job = { id, timestamp: now, to: JOBS_MAC, meta: { msg, type: "command" }, ...extra };
    return { ...job, sig: await signJob(job, SECRET) };
  };
  const replayed = { ...(await signed("replayed")), meta: { msg: "true", type: "command" } };
  const replay = payload({ ...replayed, sig: await signJob(replayed, SECRET) });
  const oversized = payload(await signed("big", { meta: { msg: "x".repeat(MAX_MSG_BYTES + 1) } }));
  const kinds: ((i: number) => Bad | Promise<Bad>)[] = [
    (i) => ({ bytes: new Uint8Array([0x7b, 0xc3, 0x28, i & 0xff, 0x7d]) }),
    (i) => ({ bytes: new TextEncoder().encode(`{"id": "cut-${i}", "meta": {"msg": "touch`) }),
    () => ({
      bytes: oversized,
      expect: { id: "big", event: "REJECTED", reason: /meta\.msg/ },
    }),
    (i) => ({
      bytes: payload({ id: `unsigned-${i}`, timestamp: now, meta: { msg } }),
      expect: { id: `unsigned-${i}`, event: "REJECTED", reason: /^bad signature$/ },
    }),
    async (i) => ({
      bytes: payload({ ...(await signed(`forged-${i}`)), meta: { msg: `${msg} ; id` } }),
      expect: { id: `forged-${i}`, event: "REJECTED", reason: /^bad signature$/ },
    }),
    async (i) => ({
      bytes: payload(await signed(`old-${i}`, { timestamp: now - 3600 })),
      expect: { id: `old-${i}`, event: "REJECTED", reason: /^too old$/ },
    }),
    async (i) => ({
      bytes: payload(await signed(`expired-${i}`, { expires: now - 1 })),
      expect: { id: `expired-${i}`, event: "EXPIRED" },
    }),
    () => ({ bytes: replay, expect: { id: "replayed", event: "DUPLICATE" } }),
  ];
  const bad: Bad[] = [];
  for (let i = 0; i < count; i++) bad.push(await kinds[i % kinds.length](i));
  return { replay, bad };
}

async function flood(count: number, exec: FakeExec | typeof denoExec) {
  await using dir = await tempDir();
  const marker = `${dir.path}/ran`;
  const { replay, bad } = await badPayloads(count, marker);
  await using jobs = await startJobs(
    jobsConfig({ state_dir: `${dir.path}/state`, job_secret: SECRET, job_max_age: 600 }),
    { exec },
  );
  // The replayed job runs once, legitimately, before the flood.
  jobs.service.receive(replay);
  await jobs.service.idle();
  assertEquals(jobs.replies.results().map((r) => r.event_type), ["PROCESSED"]);
  jobs.replies.sent = [];
  const logLinesBefore = jobs.lines.length;

  for (const { bytes } of bad) jobs.service.receive(bytes);
  await jobs.service.idle();

  assertEquals(jobs.replies.sent.filter((s) => s.kind === "delivery"), [], "nothing accepted");
  // Parse failures are answered at once, the others after the (async) signature check:
  // match answers to payloads by id, not by order.
  const results = jobs.replies.results();
  const expected = new Map(bad.flatMap((b) => b.expect ? [[b.expect.id, b.expect]] : []));
  assertEquals(results.length, bad.filter((b) => b.expect).length);
  for (const reply of results) {
    const expect = expected.get(reply.id);
    assert(expect, `unexpected answer to ${reply.id}`);
    assertEquals(reply.event_type, expect.event, reply.id);
    if (expect.reason) assert(expect.reason.test(String(reply.reason)), String(reply.reason));
  }
  const c = (name: string) => jobs.counters.get(name);
  assertEquals(c("jobs-received"), count + 1);
  assertEquals(c("jobs-rejected") + c("jobs-expired") + c("jobs-duplicate"), count);
  assertEquals(c("jobs-succeeded"), 1);
  assert(
    jobs.lines.length - logLinesBefore < 20,
    `${jobs.lines.length - logLinesBefore} log lines`,
  );
  assert(!jobs.lines.join("\n").includes(SECRET));
  let ran = true;
  await Deno.stat(marker).catch(() => (ran = false));
  assertEquals(ran, false, "a refused job's command ran");
}

Deno.test("10 000 bad payloads: zero executions, each answered or counted", async () => {
  const exec = new FakeExec();
  await flood(10_000, exec);
  assertEquals(exec.requests.length, 1, "only the legitimate original ran");
});

Deno.test("a sample of bad payloads through the real runner leaves no marker file", async () => {
  await flood(400, denoExec);
});
