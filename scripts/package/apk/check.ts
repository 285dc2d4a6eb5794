/**
 * What apk checks when it installs a package, checked before a package is published: one
 * DATA block per non-empty regular file, in the order of the paths and their files, each
 * of the size and sha256 its entry gives (extract_v3.c:106-223); a hash for every regular
 * file; installed-size the sum of the regular files. Returns the package as a listing.
 */
import { sha256 } from "@noble/hashes/sha2";
import { bytesToHex } from "@noble/hashes/utils";
import type { Bytes } from "./adb.ts";
import { decode, type Decoded, readAdb } from "./read.ts";
import type { ScriptName } from "./schema.ts";

/** One installed path: `/etc/ledge`, its kind, mode, and for a file its size and sha256. */
export interface Listed {
  path: string;
  kind: "dir" | "file" | "symlink";
  mode: number;
  owner: string;
  size?: number;
  /** Seconds, as apk sets it on the installed file. */
  mtime?: number;
  sha256?: string;
  target?: string;
}

export interface CheckedPackage {
  info: Decoded;
  entries: Listed[];
  scripts: Partial<Record<ScriptName, string>>;
  /** The sha256 of the ADB block, hex: what an index lists. */
  adbSha256: string;
}

/** Reads and checks a package; throws naming the first fault. */
export async function checkPackage(bytes: Bytes): Promise<CheckedPackage> {
  const file = await readAdb(bytes);
  const pkg = decode(file);
  const info = pkg.info as Decoded;
  const entries: Listed[] = [];
  const data = [...file.data];
  let installed = 0;
  ((pkg.paths ?? []) as Decoded[]).forEach((dir, p) => {
    const dirPath = `/${dir.name ?? ""}`;
    const acl = dir.acl as Decoded;
    entries.push({ path: dirPath, kind: "dir", mode: acl.mode as number, owner: ownerOf(acl) });
    ((dir.files ?? []) as Decoded[]).forEach((f, i) => {
      const path = `${dirPath === "/" ? "" : dirPath}/${f.name}`;
      const fileAcl = f.acl as Decoded;
      const size = (f.size ?? 0) as number;
      const mtime = f.mtime as number | undefined;
      const base = { path, mode: fileAcl.mode as number, owner: ownerOf(fileAcl), size, mtime };
      if (f.target) {
        const target = f.target as Bytes;
        if (target[0] !== 0x00 || target[1] !== 0xa0) {
          throw new Error(`${path}: not a symlink target`);
        }
        entries.push({
          ...base,
          kind: "symlink",
          target: new TextDecoder().decode(target.subarray(2)),
        });
        return;
      }
      if (!f.hash) throw new Error(`${path}: a regular file without a hash`);
      installed += size;
      const sum = bytesToHex(f.hash as Bytes);
      entries.push({ ...base, kind: "file", sha256: sum });
      if (size === 0) return;
      const block = data.shift();
      if (!block || block.path !== p + 1 || block.file !== i + 1) {
        throw new Error(
          `${path}: its DATA block is not next (found ${block?.path}/${block?.file})`,
        );
      }
      if (block.content.length !== size) {
        throw new Error(`${path}: ${block.content.length} bytes, entry says ${size}`);
      }
      if (bytesToHex(sha256(block.content)) !== sum) {
        throw new Error(`${path}: sha256 differs from its entry`);
      }
    });
  });
  if (data.length > 0) throw new Error(`${data.length} DATA blocks for no file`);
  if (info["installed-size"] !== Math.max(installed, 1)) {
    throw new Error(`installed-size ${info["installed-size"]}, files hold ${installed}`);
  }
  return {
    info,
    entries,
    scripts: (pkg.scripts ?? {}) as Partial<Record<ScriptName, string>>,
    adbSha256: bytesToHex(sha256(file.adb)),
  };
}

const ownerOf = (acl: Decoded) => `${acl.user ?? "root"}:${acl.group ?? "root"}`;
