import { assertEquals } from "../tests/support/assert.ts";
import { relocateConfig } from "./compile.ts";

Deno.test("relocateConfig grants the installed config path instead of the local file", () => {
  const flags = [
    "--allow-read=fleet.json,/proc,fleet.json.bak",
    "--allow-write=fleet.json",
    "--allow-env=DEBUG,LEDGE_*",
    "--unsafely-ignore-certificate-errors=api.example",
  ];
  assertEquals(relocateConfig(flags, "fleet.json", "/etc/ledge/config.json"), [
    "--allow-read=/etc/ledge/config.json,/proc,fleet.json.bak",
    "--allow-write=/etc/ledge/config.json",
    "--allow-env=DEBUG,LEDGE_*",
    "--unsafely-ignore-certificate-errors=api.example",
  ]);
});
