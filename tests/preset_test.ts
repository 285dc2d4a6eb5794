/**
 * The hardened preset: a fresh bundle, run with exactly the flags `--print-permissions`
 * prints for its config, starts, keeps every built capability running, and stops cleanly.
 */
import { bundle, DENO, presetFlags, run } from "../scripts/bundle.ts";
import { assertMatch } from "./support/assert.ts";
import { hardenedRun } from "./support/hardened_run.ts";
import { tempDir } from "./support/process.ts";

Deno.test("the bundled agent runs under its hardened preset", async (t) => {
  await using dir = await tempDir("ledge-bundle-");
  const script = `${dir.path}/ledge.js`;
  await bundle(script);
  await t.step("the bundle answers version with no permission at all", async () => {
    assertMatch(await run(DENO, ["run", "--quiet", script, "version"]), /^ledge \d+\.\d+\.\d+ /);
  });
  const preset = (config: string) => presetFlags(config, script);
  await hardenedRun({ script, preset }, async (name, check) => void await t.step(name, check));
});
