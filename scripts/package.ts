/**
 * `deno task package [ARCH]`: ledge for stock OpenWRT (musl) on x86_64 and aarch64, as `.ipk`
 * packages for opkg (up to 24.10), `.apk` packages in signed feeds for apk (25.12 on), and
 * plain tarballs, in dist/ with their SHA-256 sums. The package version is
 * `<version>-r<release>` (r1 here; tests build others), a version opkg and apk both accept.
 * The feeds are signed with the key in `$LEDGE_APK_KEY` (PEM), else with a throwaway key.
 */
import { bundle, kilobytes, ROOT } from "./bundle.ts";
import { VERSION } from "../src/version.ts";
import { feedKey, writeApkFeeds } from "./package/apk_feed.ts";
import type { SigningKey } from "./package/apk/sign.ts";
import { tarGz, writeIpks } from "./package/ipk.ts";
import { stage, type Target, TARGETS } from "./package/stage.ts";

export { TARGETS };
export type { Target };

/** Where and as what a package is built. */
export interface BuildOptions {
  /** The directory the packages are written to. */
  out: string;
  /** The package release: `<version>-r<release>`. */
  release: number;
  /** The feeds' signing key; without one no `.apk` is built. */
  feedKey?: SigningKey;
}

export const DIST = `${ROOT}dist`;
const DEFAULT_OPTIONS: BuildOptions = { out: DIST, release: 1 };

/** What was built for one target. */
export interface Built {
  target: Target;
  /** The package version. */
  version: string;
  files: string[];
  installedBytes: number;
}

/** Builds every package and tarball of `target` from the bundle as it is. */
export async function buildTarget(
  target: Target,
  options: Partial<BuildOptions> = {},
): Promise<Built> {
  const { out, release, feedKey } = { ...DEFAULT_OPTIONS, ...options };
  const version = `${VERSION}-r${release}`;
  const work = `${out}/stage/${target.arch}`;
  await Deno.mkdir(work, { recursive: true });
  const staged = await stage(target, work);
  const tarball = `${out}/ledge_${version}_${target.arch}.tar.gz`;
  await tarGz(staged.root, ["."], tarball);
  const ipks = await writeIpks(target, staged, version, work, out);
  const apks = feedKey ? await writeApkFeeds(target, staged, version, out, feedKey) : [];
  return {
    target,
    version,
    files: [tarball, ...ipks, ...apks],
    installedBytes: staged.installedBytes,
  };
}

/** `sha256sum`-style lines for `files`, written to `out`/SHA256SUMS. */
async function writeSums(files: string[], out: string): Promise<void> {
  const lines: string[] = [];
  for (const file of files.sort()) {
    const digest = await crypto.subtle.digest("SHA-256", await Deno.readFile(file));
    const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
    lines.push(`${hex}  ${file.slice(out.length + 1)}`);
  }
  await Deno.writeTextFile(`${out}/SHA256SUMS`, lines.join("\n") + "\n");
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
  const feed = await feedKey();
  const options = { ...DEFAULT_OPTIONS, feedKey: feed.key };
  console.log(`dist/ledge.js: ${kilobytes(await bundle())}`);
  await Deno.mkdir(`${options.out}/feed`, { recursive: true });
  // The public key goes into /etc/apk/keys/ on the box (any file name).
  await Deno.writeTextFile(`${options.out}/feed/ledge.pub.pem`, feed.publicPem);
  console.log(feed.note);
  const files: string[] = [];
  for (const target of targets) {
    const built = await buildTarget(target, options);
    files.push(...built.files);
    console.log(`${target.arch}: installed ${(built.installedBytes / 1e6).toFixed(1)} MB`);
    for (const file of built.files) {
      const size = ((await Deno.stat(file)).size / 1e6).toFixed(1);
      console.log(`  ${file.slice(options.out.length + 1)}: ${size} MB`);
    }
  }
  await writeSums(files, options.out);
  console.log(`${options.out}/SHA256SUMS written`);
}
