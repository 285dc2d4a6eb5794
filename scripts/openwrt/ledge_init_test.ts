import { assertEquals } from "../../tests/support/assert.ts";

// procd's shell API, stubbed to print what the init script asks of it.
const PROCD_STUBS = `
procd_open_instance() { echo open; }
procd_set_param() { echo "$*"; }
procd_close_instance() { echo close; }
procd_send_signal() { echo "signal $*"; }
`;

Deno.test("ledge.init runs ledge under procd with respawn and logd, and reloads with SIGHUP", async () => {
  const init = new URL("./ledge.init", import.meta.url).pathname;
  const out = await new Deno.Command("/bin/sh", {
    args: ["-euc", `${PROCD_STUBS}\n. "${init}"\nstart_service\nreload_service\necho "$USE_PROCD"`],
    stdin: "null",
  }).output();
  assertEquals(new TextDecoder().decode(out.stderr), "");
  assertEquals(new TextDecoder().decode(out.stdout).trim().split("\n"), [
    "open",
    "command /usr/bin/ledge run --config=/etc/ledge/config.json",
    "respawn 3600 5 5",
    "stdout 1",
    "stderr 1",
    "close",
    "signal ledge * HUP",
    "1",
  ]);
});
