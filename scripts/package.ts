/**
 * `deno task package`: ledge for stock OpenWRT (musl) on x86_64 and aarch64, as `.ipk`
 * packages for opkg (24.10) and plain tarballs, in dist/ with their SHA-256 sums.
 *
 * Deno ships glibc builds only. Each package carries, in /usr/lib/ledge/, the deno runtime
 * patched to load the glibc loader and libraries from there (PT_INTERP and DT_RPATH, never
 * LD_LIBRARY_PATH, which musl's loader would honour for the jobs' programs too), exactly
 * the runtime's NEEDED set taken from Debian's packages, and the bundle. The runtime comes
 * from npm (`@deno/linux-*-glibc`), the libraries from `apt-get download`, so a build does
 * not depend on what this machine has installed.
 *
 * OpenWRT names aarch64 packages per core (`opkg print-architecture`); one `.ipk` per name
 * a current target uses is written, the same files inside.
 */
import { BUNDLE, bundle, kilobytes, ROOT, run } from "./bundle.ts";
import { VERSION } from "../src/version.ts";

export interface Target {
  /** OpenWRT's and Deno's name of the machine. */
  arch: "x86_64" | "aarch64";
  debian: "amd64" | "arm64";
  /** Debian's multiarch directory of the libraries. */
  triplet: string;
  npm: string;
  /** The Architecture names opkg accepts on the boxes of this machine. */
  opkg: string[];
}

export const TARGETS: Target[] = [
  {
    arch: "x86_64",
    debian: "amd64",
    triplet: "x86_64-linux-gnu",
    npm: "@deno/linux-x64-glibc",
    opkg: ["x86_64"],
  },
  {
    arch: "aarch64",
    debian: "arm64",
    triplet: "aarch64-linux-gnu",
    npm: "@deno/linux-arm64-glibc",
    // Filogic, IPQ807x and most: cortex-a53; bcm2711, Armada 8k: a72; bcm2712: a76;
    // rockchip, layerscape, armsr: generic.
    opkg: ["aarch64_cortex-a53", "aarch64_cortex-a72", "aarch64_cortex-a76", "aarch64_generic"],
  },
];

const CACHE = `${ROOT}.cache/package`;
const DIST = `${ROOT}dist`;
const OPENWRT = `${ROOT}scripts/openwrt`;
const LIB = "/usr/lib/ledge";
const DENO_VERSION = Deno.version.deno;
/** Files in the packages carry this time, so that the same sources build the same bytes. */
const EPOCH = "2026-01-01T00:00:00Z";

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
    const pattern = `${name}_`;
    const has = [...Deno.readDirSync(debs)].some((e) =>
      e.name.startsWith(pattern) && (e.name.endsWith(`_${target.debian}.deb`) ||
        e.name.endsWith("_all.deb"))
    );
    if (!has) {
      await runIn(debs, "apt-get", ["download", "-qq", `${name}:${target.debian}`]);
    }
    const deb = [...Deno.readDirSync(debs)].map((e) => e.name).find((n) =>
      n.startsWith(pattern) && (n.endsWith(`_${target.debian}.deb`) || n.endsWith("_all.deb"))
    )!;
    await Deno.mkdir(tree, { recursive: true });
    await run("dpkg-deb", ["-x", `${debs}/${deb}`, tree]);
  }
  return tree;
}

/** Where a Debian package came from: its source package and version. */
export async function sourceOf(target: Target, name: string): Promise<string> {
  const debs = `${CACHE}/debs`;
  const deb = [...Deno.readDirSync(debs)].map((e) => e.name)
    .find((n) => n.startsWith(`${name}_`) && n.endsWith(`_${target.debian}.deb`))!;
  const fields = await run("dpkg-deb", ["-f", `${debs}/${deb}`, "Source", "Version"]);
  const source = /^Source: (\S+)/m.exec(fields)?.[1] ?? name;
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
 * The libraries `binary` loads, transitively, found in Debian's tree for the target, and
 * its interpreter's name: exactly what /usr/lib/ledge must hold.
 */
export async function neededLibraries(
  binary: string,
  tree: string,
  triplet: string,
): Promise<{ files: Map<string, string>; interpreter: string }> {
  const dirs = [`${tree}/lib/${triplet}`, `${tree}/usr/lib/${triplet}`];
  const files = new Map<string, string>();
  const first = await elfDeps(binary);
  const interpreter = first.interpreter!.split("/").pop()!;
  const queue = [...first.needed, interpreter];
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

/** What the package writes where, the mode of each. */
interface Staged {
  root: string;
  installedBytes: number;
  sources: string;
}

async function put(root: string, path: string, source: string | Uint8Array, mode: number) {
  const target = `${root}${path}`;
  await Deno.mkdir(target.slice(0, target.lastIndexOf("/")), { recursive: true });
  if (typeof source === "string") await Deno.copyFile(source, target);
  else await Deno.writeFile(target, source);
  await Deno.chmod(target, mode);
}

/** The installed tree of one target, in dist/stage/<arch>/root. */
async function stage(target: Target): Promise<Staged> {
  const root = `${DIST}/stage/${target.arch}/root`;
  await Deno.remove(`${DIST}/stage/${target.arch}`, { recursive: true }).catch(() => {});
  const deno = await runtimeOf(target);
  await debianTree(target, ["libc6", "libgcc-s1"]);
  // libgcc_s's licence is in its compiler's -base package (gcc-12-base on Debian 12).
  const gccBase = `${(await sourceOf(target, "libgcc-s1")).split(" ")[0]}-base`;
  const tree = await debianTree(target, [gccBase]);
  const { files, interpreter } = await neededLibraries(deno, tree, target.triplet);
  for (const [name, file] of files) await put(root, `${LIB}/${name}`, file, 0o755);
  await put(root, `${LIB}/deno`, deno, 0o755);
  await run("patchelf", [
    "--set-interpreter",
    `${LIB}/${interpreter}`,
    "--force-rpath",
    "--set-rpath",
    LIB,
    `${root}${LIB}/deno`,
  ]);
  await put(root, `${LIB}/ledge.js`, BUNDLE, 0o644);
  await put(root, "/usr/bin/ledge", `${OPENWRT}/ledge.sh`, 0o755);
  await put(root, "/etc/init.d/ledge", `${OPENWRT}/ledge.init`, 0o755);
  await put(root, "/etc/config/ledge", `${OPENWRT}/ledge.uci`, 0o644);
  await put(root, "/etc/ledge/config.json", `${OPENWRT}/config.json`, 0o600);
  await put(root, "/lib/upgrade/keep.d/ledge", `${OPENWRT}/keep.d`, 0o644);
  // The control scripts also in the tree: a box without opkg runs them from there.
  for (const script of ["postinst", "prerm"]) {
    await put(root, `${LIB}/${script}`, `${OPENWRT}/${script}`, 0o755);
  }
  // Licences: ledge's, Deno's, and those of the glibc and libgcc_s files shipped.
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
  for (const licence of ["LGPL-2.1", "GPL-3"]) {
    await put(root, `${doc}/${licence}`, `/usr/share/common-licenses/${licence}`, 0o644);
  }
  const sources = [
    `glibc (${[...files.keys()].filter((n) => !n.startsWith("libgcc")).join(", ")}): Debian ` +
    `source package ${await sourceOf(target, "libc6")}, LGPL-2.1-or-later`,
    `libgcc_s.so.1: Debian source package ${await sourceOf(target, "libgcc-s1")}, ` +
    "GPL-3 with the GCC Runtime Library Exception",
    "Sources: https://sources.debian.org/ (`apt-get source` of the packages named above)",
    `deno ${DENO_VERSION}: MIT, https://github.com/denoland/deno/tree/v${DENO_VERSION}`,
    "",
  ].join("\n");
  await put(root, `${doc}/SOURCES`, new TextEncoder().encode(sources), 0o644);
  let installedBytes = 0;
  for await (const file of walk(root)) installedBytes += (await Deno.lstat(file)).size;
  return { root, installedBytes, sources };
}

async function* walk(dir: string): AsyncGenerator<string> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) yield* walk(path);
    else yield path;
  }
}

/** A reproducible gzipped tar of `paths` in `dir`: root-owned, sorted, one mtime. */
async function tarGz(dir: string, paths: string[], output: string): Promise<void> {
  await runIn(dir, "tar", [
    "--sort=name",
    "--owner=0",
    "--group=0",
    "--numeric-owner",
    `--mtime=${EPOCH}`,
    "--use-compress-program=gzip -9n",
    "-cf",
    output,
    ...paths,
  ]);
}

function control(target: Target, architecture: string, installedBytes: number): string {
  return [
    "Package: ledge",
    `Version: ${VERSION}-1`,
    "Depends: ",
    "License: MIT",
    "LicenseFiles: /usr/share/doc/ledge/LICENSE",
    "Section: utils",
    `Architecture: ${architecture}`,
    `Installed-Size: ${installedBytes}`,
    "Maintainer: ledge developers",
    "Description: ledge, an edge agent for routers and access points: MQTT jobs, stats,",
    ` connectivity watch and recovery, a control socket. Runs on musl: carries the glibc`,
    ` loader and libraries its Deno ${DENO_VERSION} runtime needs (${target.arch}).`,
    "",
  ].join("\n");
}

export interface Built {
  target: Target;
  files: string[];
  installedBytes: number;
}

/** Builds every package and tarball of `target` into dist/, from the bundle as it is. */
export async function buildTarget(target: Target): Promise<Built> {
  const staged = await stage(target);
  const work = `${DIST}/stage/${target.arch}`;
  await tarGz(staged.root, ["."], `${work}/data.tar.gz`);
  const files: string[] = [];
  const tarball = `${DIST}/ledge_${VERSION}_${target.arch}.tar.gz`;
  await tarGz(staged.root, ["."], tarball);
  files.push(tarball);
  for (const architecture of target.opkg) {
    const controlDir = `${work}/control-${architecture}`;
    await Deno.mkdir(controlDir, { recursive: true });
    const write = (name: string, text: string, mode = 0o644) =>
      Deno.writeTextFile(`${controlDir}/${name}`, text, { mode });
    await write("control", control(target, architecture, staged.installedBytes));
    await write("conffiles", "/etc/ledge/config.json\n/etc/config/ledge\n");
    for (const script of ["postinst", "prerm"]) {
      await Deno.copyFile(`${OPENWRT}/${script}`, `${controlDir}/${script}`);
      await Deno.chmod(`${controlDir}/${script}`, 0o755);
    }
    await tarGz(controlDir, ["."], `${work}/control.tar.gz`);
    await Deno.writeTextFile(`${work}/debian-binary`, "2.0\n");
    const ipk = `${DIST}/ledge_${VERSION}_${architecture}.ipk`;
    await tarGz(work, ["./debian-binary", "./data.tar.gz", "./control.tar.gz"], ipk);
    files.push(ipk);
  }
  return { target, files, installedBytes: staged.installedBytes };
}

/** `sha256sum`-style lines for `files`, written to dist/SHA256SUMS. */
async function writeSums(files: string[]): Promise<void> {
  const lines: string[] = [];
  for (const file of files.sort()) {
    const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(file));
    const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
    lines.push(`${hex}  ${file.slice(DIST.length + 1)}`);
  }
  await Deno.writeTextFile(`${DIST}/SHA256SUMS`, lines.join("\n") + "\n");
}

if (import.meta.main) {
  const only = Deno.args[0];
  const targets = only ? TARGETS.filter((t) => t.arch === only) : TARGETS;
  if (targets.length === 0) {
    console.error(
      `package: unknown arch '${only}'; allowed: ${TARGETS.map((t) => t.arch).join(", ")}`,
    );
    Deno.exit(2);
  }
  console.log(`dist/ledge.js: ${kilobytes(await bundle())}`);
  const files: string[] = [];
  for (const target of targets) {
    const built = await buildTarget(target);
    files.push(...built.files);
    console.log(`${target.arch}: installed ${(built.installedBytes / 1e6).toFixed(1)} MB`);
    for (const file of built.files) {
      console.log(
        `  ${file.slice(DIST.length + 1)}: ${((await Deno.stat(file)).size / 1e6).toFixed(1)} MB`,
      );
    }
  }
  await writeSums(files);
  console.log("dist/SHA256SUMS written");
}
