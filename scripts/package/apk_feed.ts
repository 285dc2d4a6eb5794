/**
 * ledge as apk-tools 3 packages for OpenWRT 25.12 and later, and their signed feeds: for
 * each OpenWRT arch name of a target, `feed/<arch>/ledge-<version>.apk` beside a signed
 * `feed/<arch>/packages.adb`, as apk fetches them (openwrt-apk.md §1.8, §2(b)).
 */
import { sha256 } from "@noble/hashes/sha2";
import { bytesToHex } from "@noble/hashes/utils";
import type { Bytes } from "./apk/adb.ts";
import { apkIndex, apkPackage, type TreeEntry } from "./apk/build.ts";
import { checkPackage } from "./apk/check.ts";
import { decode, type Decoded, readAdb } from "./apk/read.ts";
import type { ScriptName } from "./apk/schema.ts";
import { newKeyPem, pem, type SigningKey, signingKey, verifies } from "./apk/sign.ts";
import { DEFAULTS_DIR, EPOCH, type Staged, type Target, walk } from "./stage.ts";

const OPENWRT = new URL("../openwrt/", import.meta.url).pathname;
/** The environment variable naming the feed's signing key (a PEM file). */
export const KEY_ENV = "LEDGE_APK_KEY";

/** The config files postinst makes from the defaults: the admin's, kept by sysupgrade. */
const CONFFILES: [string, string][] = [
  ["/etc/config/ledge", `${DEFAULTS_DIR}/ledge.uci`],
  ["/etc/ledge/config.json", `${DEFAULTS_DIR}/config.json`],
];

/** The feed's key: from `$LEDGE_APK_KEY`, else a throwaway one (said in `note`). */
export async function feedKey(): Promise<{ key: SigningKey; publicPem: string; note: string }> {
  const path = Deno.env.get(KEY_ENV);
  if (path) {
    const key = await signingKey(await Deno.readTextFile(path));
    const spki = new Uint8Array(await crypto.subtle.exportKey("spki", key.public));
    return { key, publicPem: pem(spki, "PUBLIC KEY"), note: `feeds signed with ${path}` };
  }
  const pems = await newKeyPem();
  return {
    key: await signingKey(pems.private),
    publicPem: pems.public,
    note: `feeds signed with a THROWAWAY key (set ${KEY_ENV}=<PEM file> to sign with yours)`,
  };
}

/**
 * The scripts apk runs (no `$1` words as opkg's): install and upgrade start the service
 * (an upgrade keeps an admin's disable), removal stops and disables it, an upgrade stops
 * the old agent first. apk runs only pre/post-upgrade on an upgrade.
 */
export async function apkScripts(): Promise<Partial<Record<ScriptName, string>>> {
  const [postinst, prerm] = await Promise.all(
    ["postinst", "prerm"].map((name) => Deno.readTextFile(`${OPENWRT}${name}`)),
  );
  const upgrading = (script: string) => script.replace(/^(#!.*\n)/, "$1export PKG_UPGRADE=1\n");
  return {
    "post-install": postinst,
    "pre-upgrade": upgrading(prerm),
    "post-upgrade": upgrading(postinst),
    "pre-deinstall": prerm,
  };
}

/** The staged tree as package entries, plus OpenWRT's package records under /lib/apk. */
export async function apkTree(staged: Staged): Promise<TreeEntry[]> {
  const tree: TreeEntry[] = [];
  for await (const entry of walk(staged.root)) {
    const path = entry.path.slice(staged.root.length + 1);
    const stat = await Deno.lstat(entry.path);
    if (stat.isSymlink) {
      tree.push({ kind: "symlink", path, target: await Deno.readLink(entry.path) });
    } else if (stat.isDirectory) tree.push({ kind: "dir", path, mode: stat.mode! & 0o7777 });
    else {tree.push({
        kind: "file",
        path,
        mode: stat.mode! & 0o7777,
        content: await Deno.readFile(entry.path),
      });}
  }
  const text = (s: string) => new TextEncoder().encode(s);
  const listed = tree.filter((e) => e.kind !== "dir").map((e) => `/${e.path}`).sort();
  const statics: string[] = [];
  for (const [conffile, source] of CONFFILES) {
    const content = (tree.find((e) => e.path === source.slice(1)) as { content: Bytes }).content;
    statics.push(`${conffile} ${bytesToHex(sha256(content))}`);
  }
  // What OpenWRT's build adds to every package: sysupgrade reads .conffiles_static for what
  // to keep (with -u, when changed from the sum) and .list for what is installed.
  const dir = "lib/apk/packages";
  for (const path of ["lib/apk", dir]) {
    if (!tree.some((e) => e.path === path)) tree.push({ kind: "dir", path, mode: 0o755 });
  }
  tree.push(
    {
      kind: "file",
      path: `${dir}/ledge.list`,
      mode: 0o644,
      content: text(listed.join("\n") + "\n"),
    },
    {
      kind: "file",
      path: `${dir}/ledge.conffiles`,
      mode: 0o644,
      content: text(CONFFILES.map(([f]) => f).join("\n") + "\n"),
    },
    {
      kind: "file",
      path: `${dir}/ledge.conffiles_static`,
      mode: 0o644,
      content: text(statics.join("\n") + "\n"),
    },
  );
  return tree;
}

/**
 * Writes `out`/feed/<arch>/ledge-<version>.apk and its signed packages.adb for each OpenWRT
 * arch name of `target`; every package is read back and checked first. Returns the files.
 */
export async function writeApkFeeds(
  target: Target,
  staged: Staged,
  version: string,
  out: string,
  key: SigningKey,
): Promise<string[]> {
  const tree = await apkTree(staged);
  const scripts = await apkScripts();
  const files: string[] = [];
  for (const arch of target.openwrt) {
    const bytes = await apkPackage({
      info: {
        name: "ledge",
        version,
        arch,
        description: `ledge, an edge agent for routers: MQTT jobs, stats, connectivity watch, ` +
          `a control socket; carries its glibc Deno ${Deno.version.deno} runtime`,
        license: "MIT",
        origin: "ledge",
        maintainer: "ledge developers",
      },
      tree,
      scripts,
      mtime: Date.parse(EPOCH) / 1000,
      compression: "deflate",
    });
    await checkPackage(bytes);
    const dir = `${out}/feed/${arch}`;
    await Deno.mkdir(dir, { recursive: true });
    const apk = `${dir}/ledge-${version}.apk`;
    await Deno.writeFile(apk, bytes);
    const index = `${dir}/packages.adb`;
    await Deno.writeFile(
      index,
      await apkIndex({
        description: `ledge ${arch}`,
        packages: [{ bytes }],
        compression: "deflate",
        key,
      }),
    );
    files.push(apk, index);
  }
  return files;
}

/**
 * A package and its index read back before they are published: every entry of the tree in
 * the package with its kind, mode, size and sha256 (and nothing else), the scripts, arch,
 * version and installed size; the index signed by the feed's key, listing the package with
 * the sha256 of its ADB block and its file size. Throws naming the first difference.
 */
export async function checkFeed(
  expected: {
    tree: readonly TreeEntry[];
    scripts: Partial<Record<ScriptName, string>>;
    arch: string;
    version: string;
  },
  apk: Bytes,
  index: Bytes,
  publicKey: CryptoKey,
): Promise<void> {
  const checked = await checkPackage(apk);
  const fail = (what: string) => {
    throw new Error(`ledge-${expected.version}.apk (${expected.arch}): ${what}`);
  };
  const listed = new Map(checked.entries.map((e) => [e.path, e]));
  let installed = 0;
  for (const entry of expected.tree) {
    const got = listed.get(`/${entry.path}`);
    listed.delete(`/${entry.path}`);
    if (!got || got.kind !== entry.kind || got.owner !== "root:root") {
      fail(`/${entry.path} missing or not a root-owned ${entry.kind}`);
    }
    if (entry.kind === "symlink" && got!.target !== entry.target) {
      fail(`/${entry.path} links elsewhere`);
    }
    if (entry.kind !== "symlink" && got!.mode !== entry.mode) {
      fail(`/${entry.path} mode ${got!.mode.toString(8)}`);
    }
    if (entry.kind === "file") {
      installed += entry.content.length;
      const sum = bytesToHex(sha256(entry.content));
      if (got!.size !== entry.content.length || got!.sha256 !== sum) {
        fail(`/${entry.path} content differs`);
      }
    }
  }
  listed.delete("/");
  if (listed.size > 0) fail(`unexpected entries ${[...listed.keys()].join(", ")}`);
  if (JSON.stringify(checked.scripts) !== JSON.stringify(expected.scripts)) fail("scripts differ");
  const info = checked.info;
  if (info.arch !== expected.arch || info.version !== expected.version) {
    fail(`info ${info.arch} ${info.version}`);
  }
  if (info["installed-size"] !== installed) {
    fail(`installed-size ${info["installed-size"]}, files ${installed}`);
  }
  const feed = await readAdb(index);
  if (!(await verifies(feed, publicKey))) fail("packages.adb not signed by the feed's key");
  const [entry] = decode(feed).packages as Decoded[];
  if (
    bytesToHex(entry.hashes as Bytes) !== checked.adbSha256 || entry["file-size"] !== apk.length
  ) {
    fail("packages.adb's hash or size does not match the file");
  }
}
