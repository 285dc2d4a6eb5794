import { assertEquals } from "../../tests/support/assert.ts";
import { FakeExec } from "../../tests/support/fakes.ts";
import { jobsConfig, payload, startJobs } from "../../tests/support/jobs.ts";
import { tempDir } from "../../tests/support/process.ts";
import { memoryLogger } from "../log/logger.ts";
import { upgradeJobs } from "./job_type.ts";

Deno.test("a sysupgrade job while upgrades are off is REJECTED, saying how to turn them on", async () => {
  await using dir = await tempDir();
  const exec = new FakeExec();
  const config = jobsConfig({ state_dir: dir.path });
  const off = upgradeJobs({
    upgrade: () => undefined,
    offReason: () => "upgrade.hosts is not set",
    log: memoryLogger().log,
  });
  await using jobs = await startJobs(config, { exec }, { types: [off] });
  const meta = {
    msg: "",
    type: "sysupgrade",
    url: "https://fw.example/i.bin",
    sha256: "a".repeat(64),
  };
  await jobs.service.receive(payload({ id: "fw", timestamp: 1, meta }));
  await jobs.service.receive(
    payload({ id: "fw-bad", timestamp: 1, meta: { ...meta, sha256: "" } }),
  );
  await jobs.service.idle();
  assertEquals(jobs.replies.sent.map((s) => [s.reply.id, s.reply.event_type, s.reply.reason]), [
    ["fw", "REJECTED", "firmware upgrades are off: upgrade.hosts is not set"],
    ["fw-bad", "REJECTED", "invalid meta.sha256: must be the image's SHA-256 as 64 hex digits"],
  ]);
  assertEquals(exec.requests.length, 0);
});
