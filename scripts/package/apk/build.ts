/**
 * apk-tools 3 packages and feed indexes, written as `apk mkpkg` and `apk mkndx` write them
 * (openwrt-apk.md §1.5-1.8; app_mkpkg.c, app_mkndx.c): the same tree, info, scripts and
 * mtime give the same bytes as apk's own tool, uncompressed, and the same metadata block
 * compressed. Owners are always root:root; packages are not signed (OpenWRT trusts feed
 * packages through the signed index), so a build without a key is reproducible.
 */
import { sha256 } from "@noble/hashes/sha2";
import {
  adbFile,
  AdbWriter,
  BLOCK,
  type Block,
  type Bytes,
  dataBlock,
  deflated,
  SCHEMA,
  type Value,
} from "./adb.ts";
import { decode, type Decoded, readAdb } from "./read.ts";
import {
  ACL,
  DEPENDENCY,
  DIR,
  FILE,
  INDEX,
  type Kind,
  PACKAGE,
  PKGINFO,
  type Schema,
  SCRIPT_NAMES,
  type ScriptName,
  SCRIPTS,
  slots,
} from "./schema.ts";
import { signatureBlock, type SigningKey } from "./sign.ts";

/** One entry of the installed tree; `path` is relative to `/`, without a leading `/`. */
export type TreeEntry =
  | { kind: "dir"; path: string; mode: number }
  | { kind: "file"; path: string; mode: number; content: Bytes }
  | { kind: "symlink"; path: string; target: string };

/** The package's info fields, as `--info` gives them to mkpkg. */
export interface PackageInfo {
  name: string;
  version: string;
  arch: string;
  description?: string;
  license?: string;
  origin?: string;
  maintainer?: string;
  url?: string;
  /** Dependency names (no version constraints). */
  depends?: string[];
}

export interface PackageInput {
  info: PackageInfo;
  /** Every directory, file and link; a directory not listed is refused. */
  tree: readonly TreeEntry[];
  scripts?: Partial<Record<ScriptName, string>>;
  /** Every file's mtime, seconds (mkpkg's SOURCE_DATE_EPOCH). */
  mtime: number;
  /** Leave out the root directory's entry when it has the default acl (`--compat 3.0.0_pre3`). */
  omitDefaultRoot?: boolean;
  /** `deflate` (apk's default, `ADBd`) or `none`. */
  compression: "deflate" | "none";
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._+-]*$/;
/** apk's version grammar: `1.2.3[a][_suffixN]...[~hash][-rN]` (doc/apk-package.5.scd:47-67). */
const VERSION =
  /^[0-9]+(\.[0-9]+)*[a-z]?(_(alpha|beta|pre|rc|cvs|svn|git|hg|p)[0-9]*)*(~[0-9a-f]+)?(-r[0-9]+)?$/;

/** Why `version` is not an apk version, or undefined. */
export function versionError(version: string): string | undefined {
  return VERSION.test(version) ? undefined : `'${version}' is not an apk version (e.g. 0.1.0-r1)`;
}

const utf8 = new TextEncoder();
const ROOT = "root";

/** apk's byte order: memcmp over the common length, then the shorter first (blob.c:150). */
const byteOrder = (a: string, b: string) => {
  const [x, y] = [utf8.encode(a), utf8.encode(b)];
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
};

const parentOf = (path: string) => path.includes("/") ? path.slice(0, path.lastIndexOf("/")) : "";
const baseOf = (path: string) => path.slice(path.lastIndexOf("/") + 1);

/** The uncompressed or `ADBd` bytes of a package. */
export function apkPackage(input: PackageInput): Promise<Bytes> {
  // A refusal is a rejection, as the index writer's.
  return Promise.try(() => packageBytes(input));
}

function packageBytes(input: PackageInput): Bytes {
  const { info } = input;
  if (!NAME.test(info.name)) throw new Error(`package name '${info.name}' not allowed by apk`);
  const bad = versionError(info.version);
  if (bad) throw new Error(bad);
  const dirs = new Map<string, number>([["", 0o755]]);
  for (const entry of input.tree) if (entry.kind === "dir") dirs.set(entry.path, entry.mode);
  for (const entry of input.tree) {
    if (entry.path.startsWith("/") || entry.path.endsWith("/") || entry.path === "") {
      throw new Error(`tree path '${entry.path}': relative, without a trailing '/'`);
    }
    if (!dirs.has(parentOf(entry.path))) {
      throw new Error(`'${entry.path}': its directory is not in the tree`);
    }
  }

  const w = new AdbWriter();
  // mkpkg writes the info fields first, in slot order (assign_fields).
  const infoValues: Record<string, Value> = {
    name: w.blob(info.name),
    version: w.blob(info.version),
  };
  for (const field of ["description", "arch", "license", "origin", "maintainer", "url"] as const) {
    if (info[field]) infoValues[field] = w.blob(info[field]);
  }
  if (info.depends?.length) infoValues.depends = dependencies(w, info.depends);

  // Then each directory, root first, in byte order: its entries, then itself (app_mkpkg.c).
  const order = [...dirs.keys()].sort(byteOrder);
  const paths: Value[] = [];
  const data: { path: number; file: number; content: Bytes }[] = [];
  let installedSize = 0;
  for (const dir of order) {
    const entries = input.tree.filter((e) => e.kind !== "dir" && parentOf(e.path) === dir)
      .sort((a, b) => byteOrder(baseOf(a.path), baseOf(b.path)));
    const files: Value[] = [];
    for (const entry of entries) {
      const fields: Record<string, Value> = { name: w.blob(baseOf(entry.path)) };
      let size = 0;
      let mode = 0o777;
      if (entry.kind === "file") {
        fields.hash = w.blob(sha256(entry.content));
        size = entry.content.length;
        mode = entry.mode;
        installedSize += size;
        if (size > 0) {
          data.push({ path: paths.length + 1, file: files.length + 1, content: entry.content });
        }
      } else if (entry.kind === "symlink") {
        const text = utf8.encode(entry.target);
        const target = new Uint8Array(2 + text.length);
        new DataView(target.buffer).setUint16(0, 0xa000, true);
        target.set(text, 2);
        fields.target = w.blob(target);
        size = text.length;
      }
      fields.mtime = w.int(input.mtime);
      fields.size = w.int(size);
      fields.acl = acl(w, mode);
      files.push(w.object(slots(FILE, fields)));
    }
    const mode = dirs.get(dir)!;
    if (dir === "" && input.omitDefaultRoot && mode === 0o755 && files.length === 0) continue;
    const name = dir === "" ? 0 : w.blob(dir);
    const dirAcl = acl(w, mode);
    paths.push(w.object(slots(DIR, { name, acl: dirAcl, files: w.object(files) })));
  }
  // A package with nothing in it would read as a meta package (installed-size 0).
  infoValues["installed-size"] = w.int(Math.max(installedSize, 1));
  const hashes = w.rawBlob(new Uint8Array(20));
  infoValues.hashes = hashes;
  const root: Record<string, Value> = {
    info: w.object(slots(PKGINFO, infoValues)),
    paths: w.object(paths),
  };
  if (input.scripts && Object.keys(input.scripts).length > 0) {
    const scripts: Record<string, Value> = {};
    for (const name of SCRIPT_NAMES) {
      const text = input.scripts[name];
      if (text !== undefined && !text.startsWith("#!")) {
        throw new Error(`script ${name}: apk executes it directly, it needs a '#!' line`);
      }
      if (text) scripts[name] = w.blob(text);
    }
    root.scripts = w.object(slots(SCRIPTS, scripts));
  }
  w.root(w.object(slots(PACKAGE, root)));
  // The package's unique id: the first 20 bytes of sha256 over the payload with zeros there.
  w.patchBlob(hashes, Uint8Array.from(sha256(w.payload()).subarray(0, 20)));

  const blocks: Block[] = [{ type: BLOCK.adb, payload: w.payload() }];
  for (const d of data) blocks.push(dataBlock(d.path, d.file, d.content));
  const file = adbFile(SCHEMA.package, blocks);
  return input.compression === "deflate" ? deflated(file) : file;
}

function acl(w: AdbWriter, mode: number): Value {
  return w.object(
    slots(ACL, { mode: w.int(mode & 0o7777), user: w.blob(ROOT), group: w.blob(ROOT) }),
  );
}

/** Dependencies by name, sorted and unique as apk keeps them. */
function dependencies(w: AdbWriter, names: readonly string[]): Value {
  const entries = names.map((name) => {
    if (!NAME.test(name)) throw new Error(`dependency '${name}' not allowed by apk`);
    return { name, value: w.object(slots(DEPENDENCY, { name: w.blob(name) })) };
  });
  const sorted = entries.sort((a, b) => byteOrder(a.name, b.name))
    .filter((e, i, all) => i === 0 || all[i - 1].name !== e.name);
  return w.object(sorted.map((e) => e.value));
}

/** A package in a feed: its bytes, as the feed serves them. */
export interface FeedPackage {
  bytes: Bytes;
}

export interface IndexInput {
  description?: string;
  packages: readonly FeedPackage[];
  compression: "deflate" | "none";
  /** The feed's key: an index is always signed (apk refuses an unsigned one). */
  key: SigningKey;
}

/**
 * `packages.adb`: each package's info copied as mkndx copies it, its `hashes` the sha256 of
 * its ADB block (what apk checks a download against) and its `file-size` the file's size.
 */
export async function apkIndex(input: IndexInput): Promise<Bytes> {
  const w = new AdbWriter();
  const infos = await Promise.all(input.packages.map(async ({ bytes }) => {
    const file = await readAdb(bytes);
    if (file.schema !== SCHEMA.package) throw new Error("not a package");
    return { info: decode(file).info as Decoded, adb: file.adb, size: bytes.length };
  }));
  infos.sort((a, b) =>
    byteOrder(a.info.name as string, b.info.name as string) ||
    byteOrder(a.info.version as string, b.info.version as string)
  );
  const packages: Value[] = [];
  for (const { info, adb, size } of infos) {
    const fields = copy(w, info, PKGINFO);
    fields["file-size"] = w.int(size);
    fields.hashes = w.blob(sha256(adb));
    packages.push(w.object(slots(PKGINFO, fields)));
  }
  const root: Record<string, Value> = {};
  if (input.description) root.description = w.blob(input.description);
  root.packages = w.object(packages);
  w.root(w.object(slots(INDEX, root)));
  const payload = w.payload();
  const file = adbFile(SCHEMA.index, [
    { type: BLOCK.adb, payload },
    await signatureBlock(input.key, SCHEMA.index, payload),
  ]);
  return input.compression === "deflate" ? deflated(file) : file;
}

/** Writes a decoded object's fields again, slot by slot, children first (adb_w_copy). */
function copy(w: AdbWriter, object: Decoded, schema: Schema): Record<string, Value> {
  const fields: Record<string, Value> = {};
  for (const [name, kind] of schema.fields) {
    if (object[name] !== undefined) fields[name] = copyValue(w, object[name], kind);
  }
  return fields;
}

function copyValue(w: AdbWriter, value: Decoded[string], kind: Kind): Value {
  if (typeof kind === "object" && "array" in kind) {
    return w.object((value as Decoded[string][]).map((item) => copyValue(w, item, kind.array)));
  }
  if (typeof kind === "object") return w.object(slots(kind, copy(w, value as Decoded, kind)));
  if (kind === "int" || kind === "oct") return w.int(value as number);
  return w.blob(value as string | Bytes);
}
