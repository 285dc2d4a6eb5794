import { assertEquals } from "../support/assert.ts";

// rc.common and procd's shell API, stubbed to print what the init script asks of them.
const STUBS = `
procd_open_instance() { echo open; }
procd_set_param() { echo "$*"; }
procd_close_instance() { echo close; }
procd_send_signal() { echo "signal $*"; }
procd_add_reload_trigger() { echo "reload trigger $*"; }
config_load() { :; }
config_get() { eval "$1=\${CONFIG_PATH:-$4}"; }
restart() { echo restart; }
`;

/** Sources the init script over the stubs, then runs `body` (sh) with `dir` as scratch. */
async function initScript(body: string, dir: string): Promise<string[]> {
  const init = new URL("../../scripts/openwrt/ledge.init", import.meta.url).pathname;
  // A fake /usr/bin/ledge whose `flags` answer is the content of $dir/want.
  await Deno.writeTextFile(`${dir}/ledge`, `#!/bin/sh\ncat "${dir}/want"\n`, { mode: 0o755 });
  const out = await new Deno.Command("/bin/sh", {
    args: ["-euc", `${STUBS}\n. "${init}"\nPROG="${dir}/ledge"\nFLAGS="${dir}/running"\n${body}`],
    stdin: "null",
  }).output();
  assertEquals(new TextDecoder().decode(out.stderr), "");
  return new TextDecoder().decode(out.stdout).trim().split("\n");
}

Deno.test("ledge.init runs ledge under procd with respawn and logd, the config path from UCI", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assertEquals(await initScript('start_service\nservice_triggers\necho "$USE_PROCD"', dir), [
      "open",
      `command ${dir}/ledge run --config=/etc/ledge/config.json --log-split`,
      "respawn 3600 5 5",
      "stdout 1",
      "stderr 1",
      "close",
      "reload trigger ledge",
      "1",
    ]);
    assertEquals(await initScript("CONFIG_PATH=/srv/c.json\nstart_service", dir), [
      "open",
      `command ${dir}/ledge run --config=/srv/c.json --log-split`,
      "respawn 3600 5 5",
      "stdout 1",
      "stderr 1",
      "close",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ledge.init reload: SIGHUP when the preset is the same, a restart when it changed", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/running`, "--allow-read=/a\n");
    await Deno.writeTextFile(`${dir}/want`, "--allow-read=/a\n");
    assertEquals(await initScript("reload_service", dir), ["signal ledge * HUP"]);
    await Deno.writeTextFile(`${dir}/want`, "--allow-read=/a,/b\n");
    assertEquals(await initScript("reload_service", dir), ["restart"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
