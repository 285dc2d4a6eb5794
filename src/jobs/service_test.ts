import { assert, assertEquals } from "../../tests/support/assert.ts";
import { tempDir } from "../../tests/support/process.ts";
import { job, jobsConfig, payload, startJobs } from "./_test_support.ts";

Deno.test("a shell job runs once and answers DELIVERED then PROCESSED", async () => {
  await using dir = await tempDir();
  await using jobs = await startJobs(jobsConfig({ state_dir: dir.path }));
  jobs.service.receive(payload(job("j1", "echo hello")));
  await jobs.service.idle();
  const [delivered, result] = jobs.replies.sent;
  assertEquals(delivered.kind, "delivery");
  assertEquals(delivered.reply.event_type, "DELIVERED");
  assertEquals(result.kind, "result");
  assertEquals(result.reply.event_type, "PROCESSED");
  assertEquals(result.reply.meta, { msg: "hello\n", type: "command" });
  assertEquals(result.reply.exit_code, 0);
  assert(typeof result.reply.duration_ms === "number");
});
