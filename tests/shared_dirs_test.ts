/**
 * What the agent keeps in a shared place is in a directory of its own: a cache_dir that a
 * local user made first (a link to a root-only place, their own directory, or one anyone
 * may write) is refused with the path named, and nothing is written through it. The agent
 * under exactly its preset, as the package runs it.
 */
import { presetFlags } from "../scripts/bundle.ts";
import { assertEquals, assertMatch } from "./support/assert.ts";
import { boxConfig, boxFiles, writeConfig } from "./support/hardened_run.ts";
import { startBroker } from "./support/mosquitto.ts";
import { MAIN, spawnLedge, tempDir } from "./support/process.ts";

const NOBODY = 65534;
const root = Deno.uid() === 0;

/** Starts the agent on `dir`'s config: the spool's failure, or the start line naming it. */
async function spoolLine(dir: string, brokerPort: number): Promise<string> {
  const config = await writeConfig(dir, { ...boxConfig(brokerPort), ...boxFiles(dir) });
  const agent = spawnLedge(["run", `--config=${config}`], {
    flags: await presetFlags(config, MAIN),
  });
  try {
    await agent.waitFor(/INFO ledge agent started/, 30_000);
    return agent.lines.find((l) => /spool failed to start/.test(l)) ??
      agent.lines.find((l) => /agent started/.test(l))!;
  } finally {
    agent.kill("SIGKILL");
    await agent.status;
  }
}

Deno.test("a cache_dir that is a link is refused, and nothing is written through it", async () => {
  await using dir = await tempDir();
  await using broker = await startBroker();
  await Deno.mkdir(`${dir.path}/victim`);
  await Deno.symlink(`${dir.path}/victim`, `${dir.path}/cache`);
  const line = await spoolLine(dir.path, broker.port);
  assertMatch(line, /spool failed to start error=".*\/cache is a symbolic link; refused"/);
  assertEquals([...Deno.readDirSync(`${dir.path}/victim`)], []);
});

Deno.test("a cache_dir anyone may write is refused with its mode", async () => {
  await using dir = await tempDir();
  await using broker = await startBroker();
  await Deno.mkdir(`${dir.path}/cache`);
  await Deno.chmod(`${dir.path}/cache`, 0o777);
  const line = await spoolLine(dir.path, broker.port);
  assertMatch(line, /cache is writable by group or others \(mode 777\); refused/);
});

Deno.test({
  name: "a cache_dir another user made first is refused; the agent's own is used",
  ignore: !root,
  async fn() {
    await using dir = await tempDir();
    await using broker = await startBroker();
    await Deno.mkdir(`${dir.path}/cache`, { mode: 0o700 });
    await Deno.chown(`${dir.path}/cache`, NOBODY, NOBODY);
    const line = await spoolLine(dir.path, broker.port);
    assertMatch(
      line,
      new RegExp(`cache belongs to uid ${NOBODY}, not to ledge's \\(0\\); refused`),
    );
    await Deno.remove(`${dir.path}/cache`);
    assertMatch(await spoolLine(dir.path, broker.port), /running=.*\bspool\b/);
  },
});
