import { assert, assertEquals } from "./support/assert.ts";
import { ROOT } from "../scripts/bundle.ts";
import { relocateConfig } from "../scripts/compile.ts";
import { decodePayload } from "../scripts/compile_payload.ts";

Deno.test("relocateConfig grants the installed config path instead of the local file", () => {
  const flags = [
    "--allow-read=fleet.json,/proc,fleet.json.bak,fleet.json.tmp",
    "--allow-write=fleet.json",
    "--allow-env=DEBUG",
    "--unsafely-ignore-certificate-errors=api.example",
  ];
  assertEquals(relocateConfig(flags, "fleet.json", "/etc/ledge/config.json"), [
    "--allow-read=/etc/ledge/config.json,/proc,fleet.json.bak,/etc/ledge/config.json.tmp",
    "--allow-write=/etc/ledge/config.json",
    "--allow-env=DEBUG",
    "--unsafely-ignore-certificate-errors=api.example",
  ]);
});

Deno.test("deno compile bakes in the preset and the bundle intended (DENORT_BIN: this deno)", async () => {
  const config = `${ROOT}tests/fixtures/config/socketman.json`;
  const target = `${Deno.build.arch}-unknown-linux-gnu`;
  const out = await new Deno.Command("deno", {
    args: ["task", "-q", "compile", `--config=${config}`, `--target=${target}`],
    cwd: ROOT,
    env: { DENORT_BIN: Deno.execPath(), NO_COLOR: "1" },
    stdin: "null",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
  const preset = stdout.match(/^preset \(.*\): (.*)$/m)![1].split(" ");
  const { metadata, files } = decodePayload(await Deno.readFile(`${ROOT}dist/ledge-${target}`));
  const granted = (kind: string) =>
    preset.find((f) => f.startsWith(`--allow-${kind}=`))?.split("=")[1].split(",") ?? null;
  for (const kind of ["read", "write", "net", "run", "sys", "env"]) {
    assertEquals(metadata.permissions[`allow_${kind}`], granted(kind), kind);
  }
  assert(granted("read")!.includes("/etc/ledge/config.json"), "the installed config is granted");
  assertEquals([metadata.permissions.prompt, metadata.permissions.deny_import], [false, []]);
  assert(metadata.v8_flags.includes("--max-semi-space-size=1"), metadata.v8_flags.join(" "));
  assertEquals(metadata.entrypoint_key, "ledge.js");
  const bundle = await Deno.readFile(`${ROOT}dist/ledge.js`);
  const sha = async (bytes: Uint8Array) =>
    [...new Uint8Array(await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>))]
      .map((b) => b.toString(16).padStart(2, "0")).join("");
  assertEquals(await sha(files.get("ledge.js")!), await sha(bundle), "the embedded bundle");
});
