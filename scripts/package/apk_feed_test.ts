import { assert, assertEquals, assertRejects } from "../../tests/support/assert.ts";
import { apkIndex, apkPackage, type TreeEntry } from "./apk/build.ts";
import { newKeyPem, signingKey } from "./apk/sign.ts";
import { apkScripts, apkTree, checkFeed } from "./apk_feed.ts";

const text = (s: string) => new TextEncoder().encode(s);

/** A small staged tree on disk, as stage() leaves it. */
async function staged(dir: string) {
  const root = `${dir}/root`;
  for (const d of ["etc/ledge/state", "usr/bin", "usr/share/ledge"]) {
    await Deno.mkdir(`${root}/${d}`, { recursive: true });
  }
  await Deno.chmod(`${root}/etc/ledge`, 0o700);
  await Deno.chmod(`${root}/etc/ledge/state`, 0o700);
  await Deno.writeTextFile(`${root}/usr/bin/ledge`, "#!/bin/sh\n", { mode: 0o755 });
  await Deno.chmod(`${root}/usr/bin/ledge`, 0o755);
  await Deno.writeTextFile(`${root}/usr/share/ledge/config.json`, "{}\n");
  await Deno.writeTextFile(`${root}/usr/share/ledge/ledge.uci`, "config ledge 'main'\n");
  await Deno.symlink("ledge", `${root}/usr/bin/ledge-link`);
  return { root, installedBytes: 0 };
}

Deno.test("apk tree: the staged tree with its modes, links, and OpenWRT's package records", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const tree = await apkTree(await staged(dir));
    const byPath = new Map(tree.map((e) => [e.path, e]));
    assertEquals(byPath.get("etc/ledge"), { kind: "dir", path: "etc/ledge", mode: 0o700 });
    assertEquals(byPath.get("usr/bin/ledge-link"), {
      kind: "symlink",
      path: "usr/bin/ledge-link",
      target: "ledge",
    });
    const content = (path: string) =>
      new TextDecoder().decode((byPath.get(path) as { content: Uint8Array }).content);
    assertEquals(
      content("lib/apk/packages/ledge.list"),
      "/usr/bin/ledge\n/usr/bin/ledge-link\n/usr/share/ledge/config.json\n" +
        "/usr/share/ledge/ledge.uci\n",
    );
    assertEquals(
      content("lib/apk/packages/ledge.conffiles"),
      "/etc/config/ledge\n/etc/ledge/config.json\n",
    );
    // The sums are those of the defaults the config files are made from: unchanged ones
    // are not backed up by `sysupgrade -u`.
    const sum = async (s: string) =>
      Array.from(
        new Uint8Array(await crypto.subtle.digest("SHA-256", text(s))),
        (b) => b.toString(16).padStart(2, "0"),
      ).join("");
    assertEquals(
      content("lib/apk/packages/ledge.conffiles_static"),
      `/etc/config/ledge ${await sum("config ledge 'main'\n")}\n` +
        `/etc/ledge/config.json ${await sum("{}\n")}\n`,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("apk scripts: each has a #! line; the upgrade ones say PKG_UPGRADE=1 first", async () => {
  const scripts = await apkScripts();
  assertEquals(Object.keys(scripts).sort(), [
    "post-install",
    "post-upgrade",
    "pre-deinstall",
    "pre-upgrade",
  ]);
  for (const script of Object.values(scripts)) assert(script!.startsWith("#!/bin/sh\n"), script);
  for (const name of ["pre-upgrade", "post-upgrade"] as const) {
    assertEquals(scripts[name]!.split("\n")[1], "export PKG_UPGRADE=1");
  }
  // prerm disables the service on removal only: an upgrade keeps an admin's disable.
  assert(scripts["pre-deinstall"]!.includes("/etc/init.d/ledge disable"));
});

Deno.test("apk feed check: passes for what was built; names what differs", async () => {
  const key = await signingKey((await newKeyPem()).private);
  const tree: TreeEntry[] = [
    { kind: "dir", path: "etc", mode: 0o755 },
    { kind: "dir", path: "etc/ledge", mode: 0o700 },
    { kind: "dir", path: "usr", mode: 0o755 },
    { kind: "file", path: "usr/x", mode: 0o755, content: text("#!/bin/sh\n") },
  ];
  const scripts = { "post-install": "#!/bin/sh\ntrue\n" };
  const expected = { tree, scripts, arch: "x86_64", version: "0.1.0-r1" };
  const build = (t: TreeEntry[]) =>
    apkPackage({
      info: { name: "ledge", version: "0.1.0-r1", arch: "x86_64" },
      tree: t,
      scripts,
      mtime: 0,
      compression: "deflate",
    });
  const apk = await build(tree);
  const index = await apkIndex({ packages: [{ bytes: apk }], compression: "deflate", key });
  await checkFeed(expected, apk, index, key.public);

  const other = await signingKey((await newKeyPem()).private);
  const wrongMode = tree.map((e) => e.path === "etc/ledge" ? { ...e, mode: 0o755 } : e);
  const cases: [() => Promise<void>, RegExp][] = [
    [
      () => checkFeed({ ...expected, tree: wrongMode }, apk, index, key.public),
      /\/etc\/ledge mode 700/,
    ],
    [
      () => checkFeed({ ...expected, arch: "aarch64_generic" }, apk, index, key.public),
      /info x86_64/,
    ],
    [() => checkFeed(expected, apk, index, other.public), /not signed by the feed's key/],
  ];
  for (const [check, reason] of cases) await assertRejects(check, reason);
  // Another package behind the same index: its hash no longer matches.
  const changed = await build([...tree, {
    kind: "file",
    path: "usr/y",
    mode: 0o644,
    content: text("y"),
  }]);
  await assertRejects(
    () =>
      checkFeed(
        {
          ...expected,
          tree: [...tree, { kind: "file", path: "usr/y", mode: 0o644, content: text("y") }],
        },
        changed,
        index,
        key.public,
      ),
    /hash or size does not match/,
  );
});
