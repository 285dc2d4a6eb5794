/** The file reads the collectors and config make, replaceable by fixtures in tests. */

export interface ReadOptions {
  /** Refuse a file larger than this (a lease file gone wild, a symlink to /dev/zero). */
  maxBytes?: number;
  /** Stop reading when it aborts (a source's deadline). */
  signal?: AbortSignal;
}

/** A file larger than the reader accepts; nothing of it is returned. */
export class FileTooLarge extends Error {
  /** `path` was larger than `maxBytes`. */
  constructor(readonly path: string, readonly maxBytes: number) {
    super(`${path} is larger than ${maxBytes} bytes`);
  }
}

/** An open file: what the durable stores use of Deno.FsFile. */
export interface FileHandle {
  /** Reads into `buffer`: the bytes read, or null at the end. */
  read(buffer: Uint8Array): Promise<number | null>;
  /** Writes `data`: the bytes written (maybe fewer). */
  write(data: Uint8Array): Promise<number>;
  /** Writes `data` within the call, blocking the loop: the bytes written (maybe fewer). */
  writeSync(data: Uint8Array): number;
  /** Flushes data and metadata to the disk. */
  sync(): Promise<void>;
  /** Flushes data to the disk. */
  syncData(): Promise<void>;
  /** The kernel's advisory lock (flock): released when the file is closed or the process dies. */
  tryLock(exclusive?: boolean): Promise<boolean>;
  /** Closes it (and releases its lock). */
  close(): void;
}

/**
 * The files the agent reads and writes, behind an interface: the collectors' reads, the
 * config, and the durable stores (job journal and history, reply outbox, stats spool).
 * Tests replace it; `denoFs` is the real one.
 */
export interface Fs {
  /** A file's text; `FileTooLarge` past `maxBytes`. */
  readTextFile(path: string, options?: ReadOptions): Promise<string>;
  /** The names in a directory. */
  readDir(path: string): Promise<string[]>;
  /** Opens a file as Deno.open does. */
  open(path: string, options: Deno.OpenOptions): Promise<FileHandle>;
  /** Makes a directory as Deno.mkdir does. */
  mkdir(path: string, options?: Deno.MkdirOptions): Promise<void>;
  /** Renames atomically within a filesystem. */
  rename(from: string, to: string): Promise<void>;
  /** Removes a file. */
  remove(path: string): Promise<void>;
  /** Cuts a file to `length` bytes. */
  truncate(path: string, length: number): Promise<void>;
  /** A file's size in bytes. */
  size(path: string): Promise<number>;
  /** What is at `path` itself (a link is not followed). */
  lstat(path: string): Promise<FileInfo>;
  /** The user this process creates files as. */
  uid(): number;
}

/** What `lstat` says of a path. */
export interface FileInfo {
  /** A directory (not a link to one). */
  isDirectory: boolean;
  /** A symbolic link. */
  isSymlink: boolean;
  /** Its owner. */
  uid: number;
  /** Its permission bits (0o777 and the sticky, setuid and setgid bits). */
  mode: number;
}

const READ_CHUNK = 64 * 1024;

/** The real files, through Deno. */
export const denoFs: Fs = {
  readTextFile: (path, options = {}) =>
    options.maxBytes === undefined
      ? Deno.readTextFile(path, { signal: options.signal })
      : readCapped(path, options.maxBytes, options.signal),
  readDir: async (path) => {
    const names: string[] = [];
    for await (const entry of Deno.readDir(path)) names.push(entry.name);
    return names;
  },
  open: (path, options) => Deno.open(path, options),
  mkdir: (path, options) => Deno.mkdir(path, options),
  rename: (from, to) => Deno.rename(from, to),
  remove: (path) => Deno.remove(path),
  truncate: (path, length) => Deno.truncate(path, length),
  size: async (path) => (await Deno.stat(path)).size,
  lstat: async (path) => {
    const info = await Deno.lstat(path);
    return {
      isDirectory: info.isDirectory,
      isSymlink: info.isSymlink,
      uid: info.uid ?? -1,
      mode: (info.mode ?? 0) & 0o7777,
    };
  },
  uid: () => Deno.uid() ?? -1,
};

/** A directory refused for what it is: someone else's, a link, or writable by others. */
export class UnsafeDirError extends Error {}

/**
 * Makes `path` a directory of this process's user, 0700 (parents as `mkdir -p`), or refuses
 * it when it already is something else: a link, not a directory, another user's, or
 * writable by group or others. A local user who makes a shared path first (`/tmp/ledge`)
 * would otherwise read what is kept there, or plant links the agent writes through. What
 * the agent then makes inside it is out of anyone else's reach.
 */
export async function privateDir(path: string, fs: Fs = denoFs): Promise<void> {
  await fs.mkdir(path, { recursive: true, mode: 0o700 });
  const info = await fs.lstat(path);
  const refuse = (why: string) => new UnsafeDirError(`${path} ${why}; refused`);
  if (info.isSymlink) throw refuse("is a symbolic link");
  if (!info.isDirectory) throw refuse("is not a directory");
  const uid = fs.uid();
  if (info.uid !== uid) throw refuse(`belongs to uid ${info.uid}, not to ledge's (${uid})`);
  if (info.mode & 0o022) {
    throw refuse(`is writable by group or others (mode ${(info.mode & 0o777).toString(8)})`);
  }
}

/** Reads at most `maxBytes`, a chunk at a time, checking `signal` between chunks. */
async function readCapped(path: string, maxBytes: number, signal?: AbortSignal) {
  signal?.throwIfAborted();
  using file = await Deno.open(path, { read: true });
  const chunks: Uint8Array[] = [];
  let size = 0;
  const buffer = new Uint8Array(Math.min(READ_CHUNK, maxBytes + 1));
  for (;;) {
    signal?.throwIfAborted();
    const read = await file.read(buffer);
    if (read === null) break;
    size += read;
    if (size > maxBytes) throw new FileTooLarge(path, maxBytes);
    chunks.push(buffer.slice(0, read));
  }
  return new TextDecoder().decode(concatBytes(chunks));
}

/**
 * One buffer holding the parts in order.
 *
 * @example
 * concatBytes([new Uint8Array([1]), new Uint8Array([2, 3])]); // Uint8Array [1, 2, 3]
 */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/**
 * The temporary file `writeFileAtomic` writes first: a fixed name next to the target, so
 * that narrow grants are enough (Deno's rename asks read and write on both paths).
 */
export const tempPathOf = (path: string): string => `${path}.tmp`;

/** Writes `data` to `path` so that a reader sees the old or the new file, never a torn one. */
export async function writeFileAtomic(
  path: string,
  data: string,
  mode = 0o600,
  fs: Fs = denoFs,
): Promise<void> {
  const temp = tempPathOf(path);
  try {
    const file = await fs.open(temp, {
      read: false,
      write: true,
      create: true,
      truncate: true,
      mode,
    });
    try {
      const bytes = new TextEncoder().encode(data);
      for (let written = 0; written < bytes.length;) {
        written += await file.write(bytes.subarray(written));
      }
      await file.sync();
    } finally {
      file.close();
    }
    await fs.rename(temp, path);
  } catch (error) {
    await fs.remove(temp).catch(() => {});
    throw error;
  }
}
