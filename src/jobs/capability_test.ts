import { assert, assertEquals } from "../../tests/support/assert.ts";
import { tempDir } from "../../tests/support/process.ts";
import { until } from "../../tests/support/poll.ts";
import { denoExec, type ExecRequest, type ExecResult } from "../io/mod.ts";
import { alteredFs, FakeExec, fullDiskFs, okResult } from "../../tests/support/fakes.ts";
import {
  job,
  JOBS_MAC,
  jobsConfig,
  payload,
  RecordingReplies,
  startJobs,
} from "../../tests/support/jobs.ts";
import { JOURNAL_FILE } from "./journal.ts";
import { signJob } from "../signing/mod.ts";
import { ManualClock } from "../../tests/support/clock.ts";
import type { OwnJobType } from "./job_type.ts";

const SECRET = "a-job-secret-of-some-length";

/** The real files, with the journal's sync held until `disk` resolves. */
function heldJournalSync() {
  const disk = Promise.withResolvers<void>();
  const fs = alteredFs((path, _, file) =>
    path.endsWith(JOURNAL_FILE) ? { sync: () => disk.promise.then(() => file.sync()) } : undefined
  );
  return { disk, fs };
}

Deno.test("a shell job runs once and answers DELIVERED then PROCESSED", async () => {
  await using dir = await tempDir();
  await using jobs = await startJobs(jobsConfig({ state_dir: dir.path, app: "fleet" }), {
    exec: denoExec,
  });
  jobs.service.receive(payload(job("j1", "echo hello")));
  await jobs.service.idle();
  const [delivered, result] = jobs.replies.sent;
  assertEquals(delivered.kind, "delivery");
  assertEquals(delivered.reply.event_type, "DELIVERED");
  assertEquals(delivered.reply.app, "fleet");
  assertEquals(result.kind, "result");
  assertEquals(result.reply.event_type, "PROCESSED");
  assertEquals(result.reply.meta, { msg: "hello\n", type: "command" });
  assertEquals([result.reply.exit_code, result.reply.truncated], [0, false]);
  assert(typeof result.reply.duration_ms === "number");
  assertEquals(jobs.counters.get("jobs-succeeded"), 1);
});

Deno.test("receive resolves once the id is on disk, so the broker is acknowledged after", async () => {
  await using dir = await tempDir();
  const exec = new FakeExec();
  await using jobs = await startJobs(jobsConfig({ state_dir: dir.path }), { exec });
  const journal = `${dir.path}/${JOURNAL_FILE}`;
  await jobs.service.receive(payload(job("acked", "true")));
  assert((await Deno.readTextFile(journal)).includes("acked"), "id not journaled yet");
  // A refusal resolves too, and writes nothing.
  await jobs.service.receive(new TextEncoder().encode("{not json"));
  assert(!(await Deno.readTextFile(journal)).includes("not json"));
  await jobs.service.idle();
  assertEquals(exec.requests.length, 1);
});

Deno.test("DELIVERED goes out while the id is written; the job and the broker's ack wait for the disk", async () => {
  await using dir = await tempDir();
  const exec = new FakeExec();
  const { disk, fs } = heldJournalSync();
  await using jobs = await startJobs(jobsConfig({ state_dir: dir.path }), { exec, fs });
  let acknowledged = false;
  const received = jobs.service.receive(payload(job("early", "true")))
    .then(() => void (acknowledged = true));
  await until(() => jobs.replies.sent.length === 1, "DELIVERED before the sync");
  assertEquals(jobs.replies.sent[0].reply.event_type, "DELIVERED");
  assertEquals([exec.requests.length, acknowledged], [0, false], "ran or acked before the sync");
  disk.resolve();
  await received;
  await jobs.service.idle();
  assertEquals(exec.requests.length, 1);
});

Deno.test("a job's program starts only once its DELIVERED has left the process", async () => {
  await using dir = await tempDir();
  const exec = new FakeExec();
  const replies = new RecordingReplies();
  const written = Promise.withResolvers<void>();
  replies.hold = written.promise;
  await using jobs = await startJobs(jobsConfig({ state_dir: dir.path }), { exec }, { replies });
  await jobs.service.receive(payload(job("held", "true")));
  assertEquals(replies.sent.map((s) => s.reply.event_type), ["DELIVERED"]);
  assertEquals(exec.requests.length, 0, "spawned before DELIVERED was out");
  written.resolve();
  await jobs.service.idle();
  assertEquals(exec.requests.length, 1);
});

Deno.test("the same id is answered DUPLICATE, also by a new service over the same state_dir", async () => {
  await using dir = await tempDir();
  const exec = new FakeExec();
  const config = jobsConfig({ state_dir: dir.path });
  {
    await using jobs = await startJobs(config, { exec });
    jobs.service.receive(payload(job("once", "true")));
    jobs.service.receive(payload(job("once", "true")));
    await jobs.service.idle();
    // The refusal is immediate; the first one's result comes when it has run.
    assertEquals(jobs.replies.results().map((r) => r.event_type).sort(), [
      "DUPLICATE",
      "PROCESSED",
    ]);
  }
  await using restarted = await startJobs(config, { exec });
  restarted.service.receive(payload(job("once", "true")));
  await restarted.service.idle();
  assertEquals(restarted.replies.results().map((r) => r.event_type), ["DUPLICATE"]);
  assertEquals(exec.requests.length, 1);
  assertEquals(restarted.counters.get("jobs-duplicate"), 1);
});

Deno.test("bad payloads run nothing: REJECTED with a reason when the id is readable", async () => {
  await using dir = await tempDir();
  const exec = new FakeExec();
  await using jobs = await startJobs(jobsConfig({ state_dir: dir.path }), { exec });
  jobs.service.receive(new TextEncoder().encode("not json"));
  jobs.service.receive(payload({ id: "no-meta", timestamp: 1 }));
  await jobs.service.idle();
  assertEquals(exec.requests.length, 0);
  assertEquals(jobs.replies.sent.length, 1);
  const [reply] = jobs.replies.results();
  assertEquals([reply.id, reply.event_type], ["no-meta", "REJECTED"]);
  assert(String(reply.reason).startsWith("invalid meta"));
  assertEquals(jobs.counters.get("jobs-rejected"), 2);
  assertEquals(jobs.counters.get("jobs-received"), 2);
});

Deno.test("an expired job is answered EXPIRED and can be sent again fresh", async () => {
  await using dir = await tempDir();
  const exec = new FakeExec();
  await using jobs = await startJobs(jobsConfig({ state_dir: dir.path }), { exec });
  const past = Math.floor(Date.now() / 1000) - 10;
  jobs.service.receive(payload(job("e", "true", { expires: past })));
  jobs.service.receive(payload(job("e", "true", { expires: past + 3600 })));
  await jobs.service.idle();
  assertEquals(jobs.replies.results().map((r) => r.event_type), ["EXPIRED", "PROCESSED"]);
  assertEquals(exec.requests.length, 1);
});

Deno.test("a job whose message expiry (MQTT 5) or expires passes while it is queued is EXPIRED, not run", async () => {
  await using dir = await tempDir();
  const clock = new ManualClock();
  const release = Promise.withResolvers<ExecResult>();
  const exec = new FakeExec((r) => r.argv[2] === "hold" ? release.promise : okResult("ran"));
  await using jobs = await startJobs(jobsConfig({ state_dir: dir.path, job_concurrency: 1 }), {
    exec,
    clock,
  });
  const route = { responseTopic: "answers/1", userProperties: [["trace", "t-1"]] };
  jobs.service.receive(payload(job("hold", "hold")));
  jobs.service.receive(
    payload(job("late", "late")),
    { route: route as never, startBy: clock.monotonic() + 1000 },
  );
  const expires = Math.floor(clock.now() / 1000) + 1;
  jobs.service.receive(payload(job("past", "past", { expires })));
  jobs.service.receive(payload(job("plain", "plain")), { startBy: clock.monotonic() + 5000 });
  await until(() => exec.requests.length === 1, "the first job to start");
  await clock.advance(2000);
  release.resolve(okResult("held"));
  await jobs.service.idle();
  assertEquals(exec.calls.map((c) => c.split(" ").at(-1)), ["hold", "plain"]);
  assertEquals(jobs.replies.results().map((r) => [r.id, r.event_type, r.reason]), [
    ["hold", "PROCESSED", undefined],
    ["late", "EXPIRED", "expired before it could start"],
    ["past", "EXPIRED", "expired before it could start"],
    ["plain", "PROCESSED", undefined],
  ]);
  // Its DELIVERED and its answer go where its message asked.
  assertEquals(jobs.replies.sent.filter((s) => s.reply.id === "late").map((s) => s.route), [
    route,
    route,
  ]);
  assertEquals(jobs.counters.get("jobs-expired"), 2);
});

Deno.test("a job its type runs on its own (an upgrade) gets its message's route, for the answers it sends itself", async () => {
  await using dir = await tempDir();
  const started: unknown[] = [];
  const own: OwnJobType = {
    type: "sysupgrade",
    pooled: false,
    admit: () => ({ ok: true, value: "plan" }),
    start: (_plan, job, run) => started.push([job.id, run.route]),
  };
  await using jobs = await startJobs(jobsConfig({ state_dir: dir.path }), {}, { types: [own] });
  const route = { responseTopic: "answers/fw", correlation: "AQL6" };
  await jobs.service.receive(payload({ ...job("fw", ""), meta: { msg: "", type: "sysupgrade" } }), {
    route,
  });
  assertEquals(started, [["fw", route]]);
  assertEquals(jobs.replies.sent.map((s) => [s.reply.event_type, s.route]), [["DELIVERED", route]]);
});

Deno.test("a job whose message's properties are refused (MQTT 5) is REJECTED, says why, and runs later when fixed", async () => {
  await using dir = await tempDir();
  const exec = new FakeExec();
  await using jobs = await startJobs(jobsConfig({ state_dir: dir.path }), { exec });
  jobs.service.receive(payload(job("r", "true")), { refused: "invalid response topic: empty" });
  jobs.service.receive(payload(job("r", "true")));
  await jobs.service.idle();
  assertEquals(jobs.replies.results().map((r) => [r.event_type, r.reason]), [
    ["REJECTED", "invalid response topic: empty"],
    ["PROCESSED", undefined],
  ]);
  assertEquals(exec.requests.length, 1);
});

Deno.test("with job_secret, only well-signed recent jobs run", async () => {
  await using dir = await tempDir();
  const exec = new FakeExec();
  await using jobs = await startJobs(
    jobsConfig({ state_dir: dir.path, job_secret: SECRET, job_max_age: 60 }),
    { exec },
  );
  const now = Math.floor(Date.now() / 1000);
  const good = job("good", "uptime", { timestamp: now, to: JOBS_MAC });
  const old = job("old", "uptime", { timestamp: now - 3600, to: JOBS_MAC });
  // Signed for another box of the fleet (the same secret): refused here.
  const other = job("other", "uptime", { timestamp: now, to: "AA:BB:CC:00:11:99" });
  const unbound = job("unbound", "uptime", { timestamp: now });
  jobs.service.receive(payload({ ...good, sig: await signJob(good, SECRET) }));
  jobs.service.receive(payload({ ...old, sig: await signJob(old, SECRET) }));
  jobs.service.receive(payload(job("unsigned", "uptime")));
  jobs.service.receive(payload({ ...good, id: "forged", sig: await signJob(good, SECRET) }));
  jobs.service.receive(payload({ ...other, sig: await signJob(other, SECRET) }));
  jobs.service.receive(payload({ ...unbound, sig: await signJob(unbound, SECRET) }));
  await jobs.service.idle();
  const answers = jobs.replies.results().map((r) => [r.id, r.event_type, r.reason]).sort();
  assertEquals(answers, [
    ["forged", "REJECTED", "bad signature"],
    ["good", "PROCESSED", undefined],
    ["old", "REJECTED", "too old"],
    ["other", "REJECTED", "not for this box"],
    ["unbound", "REJECTED", "not for this box"],
    ["unsigned", "REJECTED", "bad signature"],
  ]);
  assertEquals(exec.requests.map((r) => r.argv), [["/bin/sh", "-c", "uptime"]]);
  assert(!jobs.lines.join("\n").includes(SECRET), "the secret never reaches the log");
});

Deno.test("with jobs.allow, commands run as argv and other programs are REJECTED", async () => {
  await using dir = await tempDir();
  const exec = new FakeExec();
  await using jobs = await startJobs(
    jobsConfig({ state_dir: dir.path, jobs: { allow: ["/bin/echo", "uptime"] } }),
    { exec },
  );
  jobs.service.receive(payload(job("a", `/bin/echo 'a b' $(reboot)`)));
  jobs.service.receive(payload(job("b", "/bin/rm -rf /")));
  jobs.service.receive(payload(job("c", "uptime; reboot")));
  jobs.service.receive(payload(job("d", "echo 'open")));
  await jobs.service.idle();
  assertEquals(exec.requests.map((r) => r.argv), [["/bin/echo", "a b", "$(reboot)"]]);
  assertEquals(
    jobs.replies.results().map((r) => [r.id, r.event_type, r.reason]).sort(),
    [
      ["a", "PROCESSED", undefined],
      ["b", "REJECTED", "program not allowed: /bin/rm (jobs.allow: /bin/echo, uptime)"],
      ["c", "REJECTED", "program not allowed: uptime; (jobs.allow: /bin/echo, uptime)"],
      ["d", "REJECTED", "unterminated quote"],
    ],
  );
});

/** An Exec whose runs wait until released, to fill the pool. */
function gatedExec() {
  const release = Promise.withResolvers<void>();
  const started: ExecRequest[] = [];
  const exec = new FakeExec(async (request) => {
    started.push(request);
    await release.promise;
    return okResult("");
  });
  return { exec, started, release: () => release.resolve() };
}

Deno.test("with nothing waiting to be written, a job's program is asked for within receive", async () => {
  await using dir = await tempDir();
  const fake = new FakeExec();
  const asked: ExecRequest[] = [];
  const exec = { run: (request: ExecRequest) => (asked.push(request), fake.run(request)) };
  const { disk, fs } = heldJournalSync();
  await using jobs = await startJobs(jobsConfig({ state_dir: dir.path }), { exec, fs });
  const received = jobs.service.receive(payload(job("prompt", "true")));
  // Before any await: DELIVERED sent, the program asked for, gated on the sync.
  assertEquals(jobs.replies.sent.map((s) => s.reply.event_type), ["DELIVERED"]);
  assertEquals(asked.map((request) => request.argv.at(-1)), ["true"]);
  assert(asked[0].gate, "asked for without its gate");
  assertEquals(fake.requests.length, 0, "ran before the sync");
  disk.resolve();
  await received;
  await jobs.service.idle();
  assertEquals(jobs.replies.results().map((r) => r.event_type), ["PROCESSED"]);
});

Deno.test("a full queue answers BUSY without journaling the id, so a retry runs later", async () => {
  await using dir = await tempDir();
  const gate = gatedExec();
  await using jobs = await startJobs(
    jobsConfig({ state_dir: dir.path, job_concurrency: 1, job_queue: 1 }),
    { exec: gate.exec },
  );
  for (const id of ["r1", "q1", "b1"]) jobs.service.receive(payload(job(id, "true")));
  await until(() => jobs.replies.byId("b1").length > 0, "the answer to b1");
  const busy = jobs.replies.byId("b1");
  assertEquals(busy.map((r) => [r.event_type, r.reason]), [["BUSY", "queue full"]]);
  assertEquals(jobs.counters.get("jobs-busy"), 1);
  // Accepted jobs are acknowledged before they run, the queued one too.
  await until(
    () => jobs.replies.sent.filter((s) => s.kind === "delivery").length === 2,
    "two DELIVERED acknowledgements",
  );
  assertEquals(gate.started.length, 1);
  gate.release();
  await jobs.service.idle();
  jobs.service.receive(payload(job("b1", "true")));
  await jobs.service.idle();
  assertEquals(gate.exec.requests.length, 3);
  assertEquals(jobs.replies.byId("b1").at(-1)?.event_type, "PROCESSED");
});

Deno.test("job-cancel cancels a queued job before it starts and a running one", async () => {
  await using dir = await tempDir();
  const cancelled: string[] = [];
  const exec = new FakeExec((request) =>
    new Promise<ExecResult>((resolve) => {
      request.signal?.addEventListener("abort", () => {
        cancelled.push(request.argv[2]);
        resolve({ ...okResult(""), exitCode: null, cancelled: true });
      });
    })
  );
  await using jobs = await startJobs(
    jobsConfig({ state_dir: dir.path, job_concurrency: 1 }),
    { exec },
  );
  jobs.service.receive(payload(job("running", "sleep 1")));
  jobs.service.receive(payload(job("queued", "sleep 2")));
  await until(() => exec.requests.length === 1, "the job to start");
  const queued = await jobs.commands.execute({
    command: "job-cancel",
    arguments: { "job-id": "queued" },
  });
  assertEquals(queued.status, "ok");
  const running = await jobs.commands.execute({
    command: "job-cancel",
    arguments: { "job-id": "running" },
  });
  assertEquals(running.status, "ok");
  await jobs.service.idle();
  assertEquals(cancelled, ["sleep 1"], "the queued job never reached exec");
  assertEquals(jobs.replies.results().map((r) => [r.id, r.event_type]), [
    ["running", "CANCELLED"],
    ["queued", "CANCELLED"],
  ]);
  assertEquals(jobs.counters.get("jobs-cancelled"), 2);
  const unknown = await jobs.commands.execute({
    command: "job-cancel",
    arguments: { "job-id": "nope" },
  });
  assertEquals([unknown.status, unknown.code], ["warning", 404]);
});

Deno.test("jobs and job-info show recent jobs, newest first, output only in job-info", async () => {
  await using dir = await tempDir();
  await using jobs = await startJobs(jobsConfig({ state_dir: dir.path }), {
    exec: new FakeExec((r) => okResult(`out of ${r.argv[2]}`)),
  });
  for (const id of ["a", "b", "c"]) jobs.service.receive(payload(job(id, `cmd-${id}`)));
  await jobs.service.idle();
  const list = await jobs.commands.execute({ command: "jobs", arguments: { limit: 2 } });
  const rows = list.jobs as Record<string, unknown>[];
  assertEquals(rows.map((r) => [r.id, r.state]), [["c", "PROCESSED"], ["b", "PROCESSED"]]);
  assertEquals(rows[0].output, undefined);
  const info = await jobs.commands.execute({ command: "job-info", arguments: { "job-id": "a" } });
  const record = info["job-info"] as Record<string, unknown>;
  assertEquals([record.command, record.output, record.exit_code], ["cmd-a", "out of cmd-a", 0]);
  const missing = await jobs.commands.execute({
    command: "job-info",
    arguments: { "job-id": "z" },
  });
  assertEquals(missing.code, 404);
  const bad = await jobs.commands.execute({ command: "jobs", arguments: { limit: -1 } });
  assertEquals(bad.code, 400);
});

Deno.test("the recent-jobs memory is bounded", async () => {
  await using dir = await tempDir();
  await using jobs = await startJobs(
    jobsConfig({ state_dir: dir.path }),
    { exec: new FakeExec() },
    { recentMax: 5 },
  );
  for (let i = 0; i < 20; i++) jobs.service.receive(payload(job(`j${i}`, "true")));
  await jobs.service.idle();
  assertEquals(jobs.service.list().map((r) => r.id), ["j19", "j18", "j17", "j16", "j15"]);
});

Deno.test("stop cancels running jobs and they answer CANCELLED", async () => {
  await using dir = await tempDir();
  const exec = new FakeExec((request) =>
    new Promise<ExecResult>((resolve) =>
      request.signal?.addEventListener(
        "abort",
        () => resolve({ ...okResult(""), exitCode: null, cancelled: true }),
      )
    )
  );
  const jobs = await startJobs(jobsConfig({ state_dir: dir.path }), { exec });
  jobs.service.receive(payload(job("long", "sleep 1000")));
  await until(() => exec.requests.length === 1, "the job to start");
  await jobs.service.stop();
  assertEquals(jobs.replies.results().map((r) => r.event_type), ["CANCELLED"]);
});

Deno.test("a network job that breaks the link has health recover it, and says recovered", async () => {
  await using dir = await tempDir();
  const exec = new FakeExec();
  let t = Date.now();
  const clock = {
    now: () => t,
    monotonic: () => t,
    sleep: (ms: number) => (t += ms, Promise.resolve()),
  };
  // Up before; down after the job for the whole window; up once recovery ran.
  let recoveries = 0;
  const connectivity = {
    check: () =>
      Promise.resolve({ online: exec.requests.length !== 1 || recoveries > 0, details: [] }),
    recover: () => (recoveries++, Promise.resolve(okResult(""))),
  };
  await using jobs = await startJobs(jobsConfig({ state_dir: dir.path }), { exec, clock }, {
    connectivity,
  });
  jobs.service.receive(
    payload(job("net", "ifdown wan", { meta: { msg: "ifdown wan", type: "network" } })),
  );
  await jobs.service.idle();
  assertEquals(exec.requests.map((r) => r.argv[2]), ["ifdown wan"]);
  assertEquals(recoveries, 1);
  const [result] = jobs.replies.results();
  assertEquals(
    [result.event_type, result.online_before, result.online_after, result.recovered],
    ["PROCESSED", true, false, true],
  );
  assertEquals(jobs.service.info("net")?.recovered, true);
});

Deno.test("an Exec that throws still gives the job a FAILED answer", async () => {
  await using dir = await tempDir();
  const exec = new FakeExec(() => {
    throw new Error("exec broke");
  });
  await using jobs = await startJobs(jobsConfig({ state_dir: dir.path }), { exec });
  jobs.service.receive(payload(job("j", "true")));
  await jobs.service.idle();
  const [reply] = jobs.replies.results();
  assertEquals([reply.event_type, reply.error], ["FAILED", "exec broke"]);
  assertEquals(jobs.counters.get("jobs-failed"), 1);
});

Deno.test("signatures cover every field: a re-cut job and a changed timeout are REJECTED", async () => {
  await using dir = await tempDir();
  const exec = new FakeExec();
  await using jobs = await startJobs(jobsConfig({ state_dir: dir.path, job_secret: SECRET }), {
    exec,
  });
  const now = Math.floor(Date.now() / 1000);
  const signed = {
    id: "s",
    timestamp: now,
    to: JOBS_MAC,
    meta: { type: "command", msg: "exit 0\necho X" },
  };
  const sig = await signJob(signed, SECRET);
  const recut = { ...signed, meta: { type: "command\nexit 0", msg: "echo X" }, sig };
  const longer = { ...signed, id: "t", timeout: 86_400 };
  jobs.service.receive(payload(recut));
  jobs.service.receive(payload({ ...longer, sig: await signJob({ ...signed, id: "t" }, SECRET) }));
  jobs.service.receive(
    payload({ ...signed, id: "ok", sig: await signJob({ ...signed, id: "ok" }, SECRET) }),
  );
  await jobs.service.idle();
  const answers = jobs.replies.results().map((r) => [r.id, r.event_type, r.reason]);
  assertEquals(answers.sort(), [
    ["ok", "PROCESSED", undefined],
    ["s", "REJECTED", "bad signature"],
    ["t", "REJECTED", "bad signature"],
  ]);
  assertEquals(exec.requests.map((r) => r.argv[2]), ["exit 0\necho X"]);
});

Deno.test("job history survives a restart: jobs and job-info answer for earlier ids", async () => {
  await using dir = await tempDir();
  const config = jobsConfig({ state_dir: dir.path });
  const first = await startJobs(config, { exec: new FakeExec(() => okResult("it ran\n")) });
  first.service.receive(payload(job("before", "true")));
  first.service.receive(payload(job("x".repeat(129), "true")));
  await first.service.idle();
  await first.service.stop();
  // An id journaled whose result was never written (the agent died while it ran).
  await Deno.writeTextFile(
    `${dir.path}/${JOURNAL_FILE}`,
    JSON.stringify([Math.floor(Date.now() / 1000), "cut-off"]) + "\n",
    { append: true },
  );
  await using second = await startJobs(config);
  const info = await second.commands.execute({
    command: "job-info",
    arguments: { "job-id": "before" },
  });
  assertEquals(info.code, 200, JSON.stringify(info));
  const record = info["job-info"] as Record<string, unknown>;
  assertEquals([record.state, record.output, record.exit_code], ["PROCESSED", "it ran\n", 0]);
  const cut = await second.commands.execute({
    command: "job-info",
    arguments: { "job-id": "cut-off" },
  });
  assertEquals((cut["job-info"] as Record<string, unknown>).state, "unknown");
  const list = await second.commands.execute({ command: "jobs" });
  assertEquals(
    (list.jobs as { id: string }[]).map((j) => j.id),
    ["before"],
    "refusals stay in memory",
  );
});

Deno.test("a numeric-looking job id is looked up as the user typed it", async () => {
  await using dir = await tempDir();
  await using jobs = await startJobs(jobsConfig({ state_dir: dir.path }), { exec: new FakeExec() });
  jobs.service.receive(payload(job("12345", "true")));
  await jobs.service.idle();
  // What `ledge ctl job-info job-id 12345` and cli.py send: the number 12345.
  const info = await jobs.commands.execute({ command: "job-info", arguments: { "job-id": 12345 } });
  assertEquals([info.code, (info["job-info"] as { id: string }).id], [200, "12345"]);
  const missing = await jobs.commands.execute({ command: "job-info", arguments: { "job-id": 7 } });
  assertEquals([missing.code, missing.message], [404, "job not found"]);
});

Deno.test("every refusal is counted, answered when its id is readable, and logged once a kind", async () => {
  await using dir = await tempDir();
  await using jobs = await startJobs(jobsConfig({ state_dir: dir.path }), { exec: new FakeExec() });
  const deep = {
    id: "deep",
    meta: { msg: "true" },
    x: JSON.parse("[".repeat(40) + "]".repeat(40)),
  };
  const kinds: Uint8Array[] = [
    new Uint8Array(300 * 1024).fill(0x7b), // oversized
    new Uint8Array([0x7b, 0xff, 0x7d]), // not UTF-8
    payload(deep), // nested too deep
    new TextEncoder().encode("garbage"), // not JSON
    payload({ id: "x".repeat(129), meta: { msg: "true" } }), // id too long
    payload({ id: "obj", meta: "uptime" }), // meta not an object
  ];
  for (let round = 0; round < 3; round++) for (const bytes of kinds) jobs.service.receive(bytes);
  await jobs.service.idle();
  assertEquals(jobs.counters.get("jobs-rejected"), 18);
  const reasons = Object.fromEntries(jobs.replies.results().map((r) => [r.id, r.reason]));
  assertEquals(reasons, {
    deep: "payload nested deeper than 16 levels",
    obj: "invalid meta: must be an object with msg",
  });
  const refusals = jobs.lines.filter((l) => /WARN jobs job rejected/.test(l));
  assertEquals(refusals.length, kinds.length, refusals.join("\n"));
  for (
    const reason of [
      "payload larger than",
      "payload is not UTF-8",
      "nested deeper",
      "payload is not JSON",
      "invalid id: must be a string of 1 to 128 characters",
      "invalid meta: must be an object",
    ]
  ) assert(refusals.some((l) => l.includes(reason)), `${reason}:\n${refusals.join("\n")}`);
});

Deno.test("a journal the disk refuses: DELIVERED, then REJECTED, and the job never runs", async () => {
  await using dir = await tempDir();
  const exec = new FakeExec();
  // The injected Fs: appends fail as on a full disk; everything else is the real one.
  const full = fullDiskFs((_, options) => !!options.append);
  await using jobs = await startJobs(jobsConfig({ state_dir: dir.path }), { exec, fs: full });
  jobs.service.receive(payload(job("nospace", "touch /tmp/should-not-exist")));
  await jobs.service.idle();
  const [reply] = jobs.replies.results();
  assertEquals([reply.event_type, reply.reason], ["REJECTED", "journal unavailable"]);
  assertEquals(exec.requests.length, 0);
  assertEquals(jobs.replies.sent.map((s) => s.reply.event_type), ["DELIVERED", "REJECTED"]);
});
