/**
 * The writer against real `apk mkpkg` / `apk mkndx` output (tests/fixtures/apk/, see its
 * README): the uncompressed packages byte for byte from the trees the README describes, and
 * the index's metadata block byte for byte.
 */
import {
  assert,
  assertEquals,
  assertNotEquals,
  assertRejects,
} from "../../../tests/support/assert.ts";
import { apkIndex, apkPackage, type PackageInput, type TreeEntry, versionError } from "./build.ts";
import { decode, type Decoded, readAdb } from "./read.ts";
import { signingKey, verifies, verifyingKey } from "./sign.ts";

const FIXTURES = new URL("../../../tests/fixtures/apk/", import.meta.url);
const fixture = (name: string) => Deno.readFile(new URL(name, FIXTURES));
const fixtureText = (name: string) => Deno.readTextFile(new URL(name, FIXTURES));
const text = (s: string) => new TextEncoder().encode(s);

Deno.test("apk writer: the tiny vector, byte for byte", async () => {
  const built = await apkPackage({
    info: { name: "tiny", version: "1-r0", arch: "noarch" },
    tree: [
      { kind: "dir", path: "usr", mode: 0o755 },
      { kind: "dir", path: "usr/bin", mode: 0o755 },
      { kind: "file", path: "usr/bin/hi", mode: 0o755, content: text("hi\n") },
    ],
    mtime: 0,
    omitDefaultRoot: true,
    compression: "none",
  });
  assertEquals(built, await fixture("tiny-1-r0.apk"));
});

/** The `full` vector's input as its README gives it; blob.bin's bytes come from its DATA block. */
async function fullInput(scripts: PackageInput["scripts"]): Promise<PackageInput> {
  const vector = await readAdb(await fixture("full-0.1.0-r1.apk"));
  const blob = vector.data.find((d) => d.content.length === 100_000)!.content;
  const dirs = ["etc", "etc/init.d", "etc/ledge", "usr", "usr/bin", "usr/lib", "usr/lib/ledge"]
    .concat(["usr/share", "usr/share/ledge", "usr/share/ledge/empty"]);
  // Listed out of order: the writer sorts as apk does.
  const tree: TreeEntry[] = [
    { kind: "file", path: "usr/lib/ledge/blob.bin", mode: 0o644, content: blob },
    { kind: "symlink", path: "usr/lib/ledge/link", target: "blob.bin" },
    { kind: "file", path: "usr/lib/ledge/empty.txt", mode: 0o644, content: new Uint8Array() },
    {
      kind: "file",
      path: "etc/ledge/config.json",
      mode: 0o600,
      content: text('{ "mqtt_host": "broker.example.net" }\n'),
    },
    {
      kind: "file",
      path: "etc/init.d/ledge",
      mode: 0o755,
      content: text("#!/bin/sh /etc/rc.common\nSTART=95\n"),
    },
    { kind: "file", path: "usr/bin/ledge", mode: 0o755, content: text("#!/bin/sh\necho ledge\n") },
    ...dirs.reverse().map((path): TreeEntry => ({ kind: "dir", path, mode: 0o755 })),
  ];
  return {
    info: {
      name: "ledge-vector",
      version: "0.1.0-r1",
      arch: "x86_64",
      description: "test-vector",
      license: "MIT",
      origin: "ledge",
      url: "https://example.net/ledge",
      maintainer: "nobody",
      depends: ["libc"],
    },
    tree,
    scripts,
    mtime: 1_700_000_000,
    compression: "none",
  };
}

const FULL_SCRIPTS = {
  "post-install": '#!/bin/sh\n[ -n "$IPKG_INSTROOT" ] || echo post-install "$@"\n',
  "pre-deinstall": '#!/bin/sh\necho pre-deinstall "$@"\n',
  "post-upgrade": '#!/bin/sh\necho post-upgrade "$@"\n',
};

Deno.test("apk writer: the full vector (root entry, scripts, link, empty file and dir, 0600), byte for byte", async () => {
  const built = await apkPackage(await fullInput(FULL_SCRIPTS));
  const vector = await fixture("full-0.1.0-r1.apk");
  assertEquals(built.length, vector.length);
  assertEquals(built, vector);
});

Deno.test("apk writer: the signed vector's metadata block, byte for byte (its signature aside)", async () => {
  const built = await readAdb(
    await apkPackage(await fullInput({ "post-install": FULL_SCRIPTS["post-install"] })),
  );
  const vector = await readAdb(await fixture("signed-0.1.0-r1.apk"));
  assertEquals(built.adb, vector.adb);
  assertEquals(built.data, vector.data);
});

Deno.test("apk writer: deflated, the same blocks as apk's deflated package", async () => {
  const built = await apkPackage({ ...(await fullInput(FULL_SCRIPTS)), compression: "deflate" });
  assertEquals(new TextDecoder().decode(built.subarray(0, 4)), "ADBd");
  const [mine, apks] = [
    await readAdb(built),
    await readAdb(await fixture("full-deflate-0.1.0-r1.apk")),
  ];
  assertEquals(mine.adb, apks.adb);
  assertEquals(mine.data, apks.data);
});

Deno.test("apk writer: the same input gives the same bytes; another mtime other bytes", async () => {
  const input = { ...(await fullInput(FULL_SCRIPTS)), compression: "deflate" as const };
  const once = await apkPackage(input);
  assertEquals(await apkPackage(input), once);
  assertNotEquals(await apkPackage({ ...input, mtime: 1 }), once);
});

Deno.test("apk writer: what apk would refuse is refused with the reason", async () => {
  const base = await fullInput(FULL_SCRIPTS);
  const cases: [Partial<PackageInput>, RegExp][] = [
    [{ info: { ...base.info, version: "0.1.0-1" } }, /not an apk version/],
    [{ info: { ...base.info, name: "-ledge" } }, /name '-ledge' not allowed/],
    [{ scripts: { "post-install": "echo no shebang\n" } }, /needs a '#!' line/],
    [
      { tree: [{ kind: "file", path: "etc/x", mode: 0o644, content: text("x") }] },
      /'etc\/x': its directory/,
    ],
    [{ tree: [{ kind: "dir", path: "/etc", mode: 0o755 }] }, /relative/],
  ];
  for (const [change, reason] of cases) {
    await assertRejects(() => apkPackage({ ...base, ...change }), reason);
  }
});

Deno.test("apk versions: ledge's scheme is valid, the .ipk's old one is not", () => {
  for (const ok of ["0.1.0-r1", "0.1.0", "1.2.3_rc1-r0", "2026.01.01~abc123-r1"]) {
    assertEquals(versionError(ok), undefined, ok);
  }
  for (const bad of ["0.1.0-1", "0.1.0+git", "v1", ""]) assert(versionError(bad), bad);
});

Deno.test("apk index: the feed vector's metadata block byte for byte, signed with the feed key", async () => {
  const key = await signingKey(await fixtureText("test-key.pem"));
  const pkg = await fixture("full-deflate-0.1.0-r1.apk");
  const built = await readAdb(
    await apkIndex({
      description: "test feed",
      packages: [{ bytes: pkg }],
      compression: "none",
      key,
    }),
  );
  const vector = await readAdb(await fixture("packages.adb"));
  assertEquals(built.adb, vector.adb);
  assertEquals(built.signatures.length, 1);
  assert(await verifies(built, await verifyingKey(await fixtureText("test-key.pub.pem"))));
  const entry = (decode(built).packages as Decoded[])[0];
  assertEquals(entry["file-size"], pkg.length);
  const adb = (await readAdb(pkg)).adb;
  assertEquals(entry.hashes, new Uint8Array(await crypto.subtle.digest("SHA-256", adb)));
});
