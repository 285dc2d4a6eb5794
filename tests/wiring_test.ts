/** The agent's wiring: what each capability is given of the others, through the real agent. */
import { assertEquals } from "./support/assert.ts";
import { testAgent, testConfig } from "./support/context.ts";
import { payload } from "./support/jobs.ts";
import { tempDir } from "./support/process.ts";

Deno.test("wiring: jobs are handed the sysupgrade type even while upgrades are off", async () => {
  await using dir = await tempDir();
  const config = testConfig({ mac: "AA-BB-CC-00-11-44", disable_mqtt: true, state_dir: dir.path });
  const { agent } = testAgent(config, {}, ["replies", "upgrade", "jobs"]);
  await agent.start();
  try {
    const meta = { msg: "", type: "sysupgrade", url: "https://fw.example/i.bin" };
    await agent.live.get("jobs")!.receive(
      payload({ id: "fw", timestamp: 1, meta: { ...meta, sha256: "a".repeat(64) } }),
    );
    const info = await agent.commands.execute({
      command: "job-info",
      arguments: { "job-id": "fw" },
    });
    const record = info["job-info"] as { state: string; reason: string };
    assertEquals(
      [record.state, record.reason],
      ["REJECTED", "firmware upgrades are off: upgrade.hosts is not set"],
    );
  } finally {
    await agent.stop();
  }
});
