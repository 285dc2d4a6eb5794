/**
 * A real link cut: the agent runs in a network namespace joined to this one by a veth pair,
 * probing a TCP listener on the far side; the far end of the veth goes down and comes back.
 * Needs root (ip netns); skipped with a message where namespaces cannot be made.
 */
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { linkedNamespace, netnsUnavailable } from "./support/netns.ts";
import { spawnLedge, tempDir } from "./support/process.ts";

const unavailable = await netnsUnavailable();
if (unavailable) {
  console.log(`link-cut test skipped: cannot make a network namespace (${unavailable})`);
}

Deno.test({
  name: "link cut: the agent in a namespace goes offline after 3 failed rounds, online again",
  ignore: unavailable !== undefined,
  sanitizeResources: false,
  async fn() {
    await using dir = await tempDir();
    await using link = await linkedNamespace();
    const listener = Deno.listen({ hostname: link.hostAddress, port: 0 });
    const accepting = (async () => {
      for await (const conn of listener) conn.close();
    })();
    const calls = `${dir.path}/calls`;
    const recorder = `${dir.path}/record`;
    await Deno.writeTextFile(recorder, `#!/bin/sh\necho "$*" >> ${calls}\n`, { mode: 0o755 });
    const config = `${dir.path}/config.json`;
    await Deno.writeTextFile(
      config,
      JSON.stringify({
        health_url: link.hostAddress,
        health_port: listener.addr.port,
        monitor: 15,
        recovery_cmd: `${recorder} restart`,
        reboot_cmd: `${recorder} reboot`,
      }),
    );
    const agent = spawnLedge(["run", "-c", config, "-S", `${dir.path}/ctl.sock`], {
      runtime: ["ip", "netns", "exec", link.ns, Deno.execPath()],
      flags: [
        `--allow-read=${dir.path},/proc/net/route`,
        `--allow-net=${link.hostAddress}:${listener.addr.port}`,
        `--allow-run=${recorder}`,
      ],
    });
    try {
      await agent.waitFor(/INFO health online .*cause="tcp .* ok"/, 20_000);
      const cutAt = performance.now();
      assert((await link.cut()).ok);
      const offline = await agent.waitFor(/WARN health offline/, 60_000);
      const offlineAfterS = (performance.now() - cutAt) / 1000;
      assertMatch(offline, /failed.*\(3 rounds\)/);
      assert((await link.restore()).ok);
      const restoredAt = performance.now();
      await agent.waitFor(/INFO health online .*was=offline/, 30_000);
      const onlineAfterS = (performance.now() - restoredAt) / 1000;
      console.log(
        `link cut: offline ${offlineAfterS.toFixed(1)} s after the cut, ` +
          `online ${onlineAfterS.toFixed(1)} s after the restore`,
      );
      // Up to monitor (15 s) to the first failed round, 2 more 5 s apart, a 3 s probe
      // timeout; a few seconds of slack for a loaded machine.
      assert(offlineAfterS < 15 + 2 * 5 + 3 + 5, `offline after ${offlineAfterS} s`);
      assert(onlineAfterS < 5 + 5, `online after ${onlineAfterS} s`);
      assertEquals(agent.lines.filter((l) => /health offline/.test(l)).length, 1);
      // The outage was shorter than the ladder's first step: nothing ran.
      assertEquals(await Deno.readTextFile(calls).catch(() => ""), "");
      agent.kill("SIGTERM");
      assertEquals((await agent.status).code, 0);
    } finally {
      agent.kill("SIGKILL");
      await agent.status;
      listener.close();
      await accepting.catch(() => {});
    }
  },
});
