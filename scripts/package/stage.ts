/**
 * The tree a package installs, for one machine: the deno runtime and the glibc it needs in
 * /usr/lib/ledge, the bundle, the launcher, the init script, the defaults of the config,
 * and the licences. Every mode is set here, never inherited from the builder's umask: opkg
 * and apk apply a package's directory modes to the box (a 0775 `etc/` would make the box's
 * /etc group-writable), and the same sources must build the same bytes.
 *
 * Deno ships glibc builds only. The runtime in /usr/lib/ledge is patched to load the glibc
 * loader and libraries from there (PT_INTERP and DT_RPATH, never LD_LIBRARY_PATH, which
 * musl's loader would honour for the jobs' programs too). The runtime comes from npm
 * (`@deno/linux-*-glibc`), the libraries from `apt-get download`, so a build does not
 * depend on what this machine has installed.
 */
import { BUNDLE, ROOT, run } from "../bundle.ts";

export interface Target {
  /** OpenWRT's and Deno's name of the machine. */
  arch: "x86_64" | "aarch64";
  debian: "amd64" | "arm64";
  /** Debian's multiarch directory of the libraries. */
  triplet: string;
  npm: string;
  /** The architecture names opkg and apk accept on the boxes of this machine. */
  openwrt: string[];
}

export const TARGETS: Target[] = [
  {
    arch: "x86_64",
    debian: "amd64",
    triplet: "x86_64-linux-gnu",
    npm: "@deno/linux-x64-glibc",
    openwrt: ["x86_64"],
  },
  {
    arch: "aarch64",
    debian: "arm64",
    triplet: "aarch64-linux-gnu",
    npm: "@deno/linux-arm64-glibc",
    // Filogic, IPQ807x and most: cortex-a53; bcm2711, Armada 8k: a72; bcm2712: a76;
    // rockchip, layerscape, armsr: generic.
    openwrt: ["aarch64_cortex-a53", "aarch64_cortex-a72", "aarch64_cortex-a76", "aarch64_generic"],
  },
];

const CACHE = `${ROOT}.cache/package`;
const OPENWRT = `${ROOT}scripts/openwrt`;
export const LIB = "/usr/lib/ledge";
/** The defaults the post-install copies to /etc when the admin has no config yet. */
export const DEFAULTS_DIR = "/usr/share/ledge";
const DENO_VERSION = Deno.version.deno;
/** Files in the packages carry this time, so that the same sources build the same bytes. */
export const EPOCH = "2026-01-01T00:00:00Z";
/** Directories of the package that only root may enter: the config and the state. */
const PRIVATE_DIRS = ["/etc/ledge", "/etc/ledge/state"];

const exists = (path: string) => Deno.stat(path).then(() => true, () => false);

/** The deno runtime for `target`, from npm, cached. */
export async function runtimeOf(target: Target): Promise<string> {
  const dir = `${CACHE}/deno-${DENO_VERSION}-${target.arch}`;
  const deno = `${dir}/deno`;
  if (await exists(deno)) return deno;
  await Deno.mkdir(dir, { recursive: true });
  for (const pkg of [`${target.npm}@${DENO_VERSION}`, `deno@${DENO_VERSION}`]) {
    const tarball = (await run("npm", ["pack", "--silent", pkg, `--pack-destination=${dir}`]))
      .trim();
    await run("tar", ["-xzf", `${dir}/${tarball}`, "-C", dir, "--strip-components=1"]);
    await Deno.remove(`${dir}/${tarball}`);
  }
  return deno;
}

/** Debian's packages for this target, downloaded once and unpacked into one tree. */
export async function debianTree(target: Target, packages: string[]): Promise<string> {
  const tree = `${CACHE}/debian-${target.debian}`;
  const debs = `${CACHE}/debs`;
  await Deno.mkdir(debs, { recursive: true });
  const foreign = await run("dpkg", ["--print-foreign-architectures"]);
  if (target.debian !== "amd64" && !foreign.split("\n").includes(target.debian)) {
    await run("dpkg", ["--add-architecture", target.debian]);
    await run("apt-get", ["update", "-qq"]);
  }
  for (const name of packages) {
    if (!debOf(target, name)) {
      await runIn(debs, "apt-get", ["download", "-qq", `${name}:${target.debian}`]);
    }
    await Deno.mkdir(tree, { recursive: true });
    await run("dpkg-deb", ["-x", `${debs}/${debOf(target, name)}`, tree]);
  }
  return tree;
}

/** The file name of a downloaded Debian package for `target`. */
function debOf(target: Target, name: string): string | undefined {
  return [...Deno.readDirSync(`${CACHE}/debs`)].map((e) => e.name).find((n) =>
    n.startsWith(`${name}_`) && (n.endsWith(`_${target.debian}.deb`) || n.endsWith("_all.deb"))
  );
}

/** Where a Debian package came from: its source package and version. */
async function sourceOf(target: Target, name: string): Promise<string> {
  const fields = await run("dpkg-deb", [
    "-f",
    `${CACHE}/debs/${debOf(target, name)}`,
    "Source",
    "Version",
  ]);
  const source = /^Source: (\S+)/m.exec(fields)?.[1]?.split(" ")[0] ?? name;
  const version = /^Version: (\S+)/m.exec(fields)![1];
  return `${source} ${version}`;
}

async function runIn(cwd: string, command: string, args: string[]): Promise<void> {
  const out = await new Deno.Command(command, { args, cwd, stdin: "null", stdout: "null" })
    .output();
  if (!out.success) {
    throw new Error(`${command} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
}

/** The NEEDED entries and the interpreter of an ELF file, as readelf reports them. */
async function elfDeps(path: string): Promise<{ needed: string[]; interpreter?: string }> {
  const text = await run("readelf", ["-d", "-l", "-W", path]);
  const needed = [...text.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
  const interpreter = /Requesting program interpreter: ([^\]]+)\]/.exec(text)?.[1];
  return { needed, interpreter };
}

/**
 * The libraries `binaries` load, transitively, found in Debian's tree for the target, and
 * their interpreter's name: exactly what /usr/lib/ledge must hold.
 */
export async function neededLibraries(
  binaries: string[],
  tree: string,
  triplet: string,
): Promise<{ files: Map<string, string>; interpreter: string }> {
  const dirs = [`${tree}/lib/${triplet}`, `${tree}/usr/lib/${triplet}`];
  const files = new Map<string, string>();
  const queue: string[] = [];
  let interpreter = "";
  for (const binary of binaries) {
    const deps = await elfDeps(binary);
    interpreter = deps.interpreter!.split("/").pop()!;
    queue.push(...deps.needed, interpreter);
  }
  while (queue.length > 0) {
    const name = queue.shift()!;
    if (files.has(name)) continue;
    let found: string | undefined;
    for (const dir of dirs) if (await exists(`${dir}/${name}`)) found = `${dir}/${name}`;
    if (!found) throw new Error(`${name}, needed by the runtime, is in no Debian package here`);
    files.set(name, await Deno.realPath(found));
    queue.push(...(await elfDeps(found)).needed);
  }
  return { files, interpreter };
}

/** The installed tree of one target. */
export interface Staged {
  /** Its root directory. */
  root: string;
  /** The bytes of its regular files. */
  installedBytes: number;
}

async function put(root: string, path: string, source: string | Uint8Array, mode: number) {
  const target = `${root}${path}`;
  await Deno.mkdir(target.slice(0, target.lastIndexOf("/")), { recursive: true });
  if (typeof source === "string") await Deno.copyFile(source, target);
  else await Deno.writeFile(target, source);
  await Deno.chmod(target, mode);
}

/** A glibc program of Debian's made to load its libraries from /usr/lib/ledge. */
async function patchElf(path: string, interpreter: string): Promise<void> {
  await run("patchelf", [
    "--set-interpreter",
    `${LIB}/${interpreter}`,
    "--force-rpath",
    "--set-rpath",
    LIB,
    path,
  ]);
}

/** The installed tree of `target`, in `dir`/root (emptied first). */
export async function stage(target: Target, dir: string): Promise<Staged> {
  const root = `${dir}/root`;
  await Deno.remove(root, { recursive: true }).catch(() => {});
  const deno = await runtimeOf(target);
  // util-linux for setsid: stock busybox has none, and without it every job would start by
  // a fork of the whole agent (Deno's `detached`).
  await debianTree(target, ["libc6", "libgcc-s1", "util-linux"]);
  // libgcc_s's licence is in its compiler's -base package (gcc-12-base on Debian 12).
  const gccBase = `${(await sourceOf(target, "libgcc-s1")).split(" ")[0]}-base`;
  const tree = await debianTree(target, [gccBase]);
  const setsid = `${tree}/usr/bin/setsid`;
  const { files, interpreter } = await neededLibraries([deno, setsid], tree, target.triplet);
  for (const [name, file] of files) await put(root, `${LIB}/${name}`, file, 0o755);
  await put(root, `${LIB}/deno`, deno, 0o755);
  await put(root, `${LIB}/bin/setsid`, setsid, 0o755);
  for (const program of ["deno", "bin/setsid"]) {
    await patchElf(`${root}${LIB}/${program}`, interpreter);
  }
  await put(root, `${LIB}/ledge.js`, BUNDLE, 0o644);
  await put(root, "/usr/bin/ledge", `${OPENWRT}/ledge.sh`, 0o755);
  await put(root, "/etc/init.d/ledge", `${OPENWRT}/ledge.init`, 0o755);
  await put(root, `${DEFAULTS_DIR}/config.json`, `${OPENWRT}/config.json`, 0o644);
  await put(root, `${DEFAULTS_DIR}/ledge.uci`, `${OPENWRT}/ledge.uci`, 0o644);
  await put(root, "/lib/upgrade/keep.d/ledge", `${OPENWRT}/keep.d`, 0o644);
  for (const dir of PRIVATE_DIRS) await Deno.mkdir(`${root}${dir}`, { recursive: true });
  // The control scripts also in the tree: a box without a package manager runs them there.
  for (const script of ["postinst", "prerm"]) {
    await put(root, `${LIB}/${script}`, `${OPENWRT}/${script}`, 0o755);
  }
  // Licences: ledge's, Deno's, and those of the glibc, libgcc_s and setsid files shipped.
  const doc = "/usr/share/doc/ledge";
  await put(root, `${doc}/LICENSE`, `${ROOT}LICENSE`, 0o644);
  await put(
    root,
    `${doc}/deno.LICENSE.md`,
    `${deno.slice(0, deno.lastIndexOf("/"))}/LICENSE`,
    0o644,
  );
  await put(root, `${doc}/glibc.copyright`, `${tree}/usr/share/doc/libc6/copyright`, 0o644);
  await put(root, `${doc}/libgcc.copyright`, `${tree}/usr/share/doc/${gccBase}/copyright`, 0o644);
  await put(
    root,
    `${doc}/util-linux.copyright`,
    `${tree}/usr/share/doc/util-linux/copyright`,
    0o644,
  );
  for (const licence of ["LGPL-2.1", "GPL-3"]) {
    await put(root, `${doc}/${licence}`, `/usr/share/common-licenses/${licence}`, 0o644);
  }
  const sources = [
    `glibc (${[...files.keys()].filter((n) => !n.startsWith("libgcc")).join(", ")}): Debian ` +
    `source package ${await sourceOf(target, "libc6")}, LGPL-2.1-or-later`,
    `libgcc_s.so.1: Debian source package ${await sourceOf(target, "libgcc-s1")}, ` +
    "GPL-3 with the GCC Runtime Library Exception",
    `bin/setsid: Debian source package ${await sourceOf(target, "util-linux")}, public domain`,
    "Sources: https://sources.debian.org/ (`apt-get source` of the packages named above)",
    `deno ${DENO_VERSION}: MIT, https://github.com/denoland/deno/tree/v${DENO_VERSION}`,
    "",
  ].join("\n");
  await put(root, `${doc}/SOURCES`, new TextEncoder().encode(sources), 0o644);
  let installedBytes = 0;
  for await (const entry of walk(root)) {
    if (entry.isDirectory) {
      const private_ = PRIVATE_DIRS.includes(entry.path.slice(root.length));
      await Deno.chmod(entry.path, private_ ? 0o700 : 0o755);
    } else installedBytes += (await Deno.lstat(entry.path)).size;
  }
  await Deno.chmod(root, 0o755);
  return { root, installedBytes };
}

/** Every entry under `dir`, depth first, each directory before what it holds. */
export async function* walk(dir: string): AsyncGenerator<{ path: string; isDirectory: boolean }> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    yield { path, isDirectory: entry.isDirectory };
    if (entry.isDirectory) yield* walk(path);
  }
}
