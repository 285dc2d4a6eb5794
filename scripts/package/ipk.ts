/**
 * `.ipk` packages for opkg (OpenWRT up to 24.10) and plain tarballs, from a staged tree.
 * An .ipk is a gzipped tar of `debian-binary`, `data.tar.gz` and `control.tar.gz`; every tar
 * is root-owned, sorted and of one mtime, so that the same tree gives the same bytes.
 */
import type { Staged, Target } from "./stage.ts";
import { EPOCH } from "./stage.ts";

const OPENWRT = new URL("../openwrt/", import.meta.url).pathname;

/** A reproducible gzipped tar of `paths` in `dir`: root-owned, sorted, one mtime. */
export async function tarGz(dir: string, paths: string[], output: string): Promise<void> {
  const out = await new Deno.Command("tar", {
    args: [
      "--sort=name",
      "--owner=0",
      "--group=0",
      "--numeric-owner",
      `--mtime=${EPOCH}`,
      "--use-compress-program=gzip -9n",
      "-cf",
      output,
      ...paths,
    ],
    cwd: dir,
    stdin: "null",
  }).output();
  if (!out.success) throw new Error(`tar ${output}: ${new TextDecoder().decode(out.stderr)}`);
}

/**
 * The control file. No `Depends:` line at all: the package carries what it needs, and opkg
 * (19.07 to 24.10) crashes on an empty one.
 */
export function control(
  target: Target,
  architecture: string,
  version: string,
  installedBytes: number,
): string {
  return [
    "Package: ledge",
    `Version: ${version}`,
    "License: MIT",
    "LicenseFiles: /usr/share/doc/ledge/LICENSE",
    "Section: utils",
    `Architecture: ${architecture}`,
    `Installed-Size: ${installedBytes}`,
    "Maintainer: ledge developers",
    "Description: ledge, an edge agent for routers and access points: MQTT jobs, stats,",
    " connectivity watch and recovery, a control socket. Runs on musl: carries the glibc",
    ` loader and libraries its Deno ${Deno.version.deno} runtime needs (${target.arch}).`,
    "",
  ].join("\n");
}

/**
 * Writes `ledge_<version>_<architecture>.ipk` for each OpenWRT name of the target into
 * `out`, using `work` for the parts; returns the files.
 */
export async function writeIpks(
  target: Target,
  staged: Staged,
  version: string,
  work: string,
  out: string,
): Promise<string[]> {
  await tarGz(staged.root, ["."], `${work}/data.tar.gz`);
  await Deno.writeTextFile(`${work}/debian-binary`, "2.0\n");
  const files: string[] = [];
  for (const architecture of target.openwrt) {
    const controlDir = `${work}/control-${architecture}`;
    await Deno.mkdir(controlDir, { recursive: true });
    await Deno.chmod(controlDir, 0o755);
    const text = control(target, architecture, version, staged.installedBytes);
    await Deno.writeTextFile(`${controlDir}/control`, text);
    await Deno.chmod(`${controlDir}/control`, 0o644);
    for (const script of ["postinst", "prerm"]) {
      await Deno.copyFile(`${OPENWRT}${script}`, `${controlDir}/${script}`);
      await Deno.chmod(`${controlDir}/${script}`, 0o755);
    }
    await tarGz(controlDir, ["."], `${work}/control.tar.gz`);
    const ipk = `${out}/ledge_${version}_${architecture}.ipk`;
    await tarGz(work, ["./debian-binary", "./data.tar.gz", "./control.tar.gz"], ipk);
    files.push(ipk);
  }
  return files;
}
