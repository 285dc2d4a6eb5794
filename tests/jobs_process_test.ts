/**
 * The jobs capability in a real process with narrow permissions: a SIGKILL right after a
 * job was acknowledged, a job that forks and times out, and 100 MB of output.
 */
import { assert, assertEquals } from "./support/assert.ts";
import { tempDir } from "./support/process.ts";
import { liveProcessesInGroup } from "./support/procfs.ts";
import { until } from "./support/poll.ts";
import { job, jobsConfig, payload, startJobs } from "./support/jobs.ts";

const HOST = new URL("./support/job_host.ts", import.meta.url).pathname;

interface Host {
  child: Deno.ChildProcess;
  /** Resolves with the first stdout JSON line matching `match`. */
  next(match: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
}

function spawnHost(dir: string, config: Record<string, unknown>, jobs: unknown[]): Host {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--quiet",
      `--allow-read=${dir}`,
      `--allow-write=${dir}`,
      "--allow-run=/bin/sh",
      // The state dir's owner is checked against this process's uid.
      "--allow-sys=uid",
      HOST,
      JSON.stringify({ state_dir: dir, ...config }),
      ...jobs.map((j) => JSON.stringify(j)),
    ],
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
    env: { NO_COLOR: "1" },
  }).spawn();
  const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let pending = "";
  return {
    child,
    async next(match) {
      const deadline = AbortSignal.timeout(60_000);
      for (;;) {
        const newline = pending.indexOf("\n");
        if (newline >= 0) {
          const line = JSON.parse(pending.slice(0, newline));
          pending = pending.slice(newline + 1);
          if (match(line)) return line;
          continue;
        }
        if (deadline.aborted) throw new Error("no matching line within 60 s");
        const { done, value } = await lines.read();
        if (done) throw new Error("job host exited before a matching line");
        pending += value;
      }
    },
  };
}

const replyOf = (line: Record<string, unknown>) => line.reply as Record<string, unknown>;

Deno.test("an id acknowledged before a SIGKILL is a DUPLICATE after the restart", async () => {
  await using dir = await tempDir();
  const pidFile = `${dir.path}/job.pid`;
  const host = spawnHost(dir.path, {}, [job("survivor", `echo $$ > ${pidFile}; sleep 1000`)]);
  await host.next((l) => replyOf(l)?.event_type === "DELIVERED");
  const pidWritten = () => {
    try {
      return Deno.readTextFileSync(pidFile).endsWith("\n");
    } catch {
      return false;
    }
  };
  await until(pidWritten, "the job to be running");
  host.child.kill("SIGKILL");
  await host.child.status;
  await host.child.stdout.cancel().catch(() => {});
  // The job's own session outlives the agent: clean it up.
  Deno.kill(-Number(Deno.readTextFileSync(pidFile)), "SIGKILL");

  await using restarted = await startJobs(jobsConfig({ state_dir: dir.path }));
  restarted.service.receive(payload(job("survivor", "echo ran again")));
  await restarted.service.idle();
  assertEquals(restarted.replies.results().map((r) => r.event_type), ["DUPLICATE"]);
});

Deno.test("a job that forks is killed with its children on timeout (--allow-run=/bin/sh)", async () => {
  await using dir = await tempDir();
  const host = spawnHost(dir.path, {}, [
    job("slow", "echo $$; sleep 1000 & sleep 1000", { timeout: 1 }),
  ]);
  const reply = replyOf(await host.next((l) => replyOf(l)?.id === "slow" && l.kind === "result"));
  assertEquals(reply.event_type, "TIMEOUT");
  assertEquals(reply.exit_code, null);
  const pgid = Number(String((reply.meta as { msg: string }).msg).trim());
  assert(pgid > 1);
  await until(() => liveProcessesInGroup(pgid).length === 0, `group ${pgid} to be gone`);
  await host.child.stdout.cancel().catch(() => {});
  assert((await host.child.status).success);
});

Deno.test("100 MB on stdout and stderr: flat memory, stdout's head and stderr's tail in the reply", async () => {
  await using dir = await tempDir();
  const script = "echo HEAD-START; (yes out | head -c 100000000) & " +
    "(yes err | head -c 100000000 >&2); wait; echo ERR-END >&2";
  const host = spawnHost(dir.path, { job_output_max: 65536 }, [
    job("warm-up", "echo the runner's own code is loaded now"),
    job("loud", script),
  ]);
  type Memory = { memory: Deno.MemoryUsage };
  const before = (await host.next((l) => "memory" in l) as Memory).memory;
  const reply = replyOf(await host.next((l) => replyOf(l)?.id === "loud" && l.kind === "result"));
  const after = (await host.next((l) => "memory" in l) as Memory).memory;
  await host.child.stdout.cancel().catch(() => {});
  await host.child.status;
  assertEquals([reply.event_type, reply.truncated], ["PROCESSED", true]);
  const msg = (reply.meta as { msg: string }).msg;
  assert(msg.startsWith("HEAD-START\nout\n"), msg.slice(0, 40));
  assertEquals(msg.length, 65536, "the head of stdout, job_output_max bytes");
  const stderr = reply.stderr as string;
  assert(stderr.endsWith("err\nERR-END\n") && stderr.length <= 4096, stderr.slice(-40));
  const mb = (bytes: number) => Math.round(bytes / 1e6);
  const grew = mb(after.rss - before.rss);
  console.log(
    `rss ${mb(before.rss)} → ${mb(after.rss)} MB; ` +
      `heap ${mb(before.heapUsed)} → ${mb(after.heapUsed)} MB for 200 MB of output`,
  );
  // Keeping the output would cost ≥ 200 MB; a flat tail costs the GC's slack at most.
  assert(grew < 32, `rss grew by ${grew} MB`);
});
