/**
 * How the agent reads kernel files (the collectors, the health checks, the upgrade's boot id). Deno (2.9) refuses to read /proc and /sys without
 * --allow-all, whatever --allow-read says ("Requires all access to /proc/uptime"): they can
 * expose other processes' memory. Rather than run the agent with -A, the collector reads
 * those files through a program with no shell: the refused reads that arrive together (the
 * sources of one collection, the files of every interface) are read by one `grep -H`, a
 * lone one by `cat`. A collection costs two programs, not one per file.
 *
 * Every read is bounded: a size cap (a lease file gone wild, a symlink to /dev/zero) and
 * the source's deadline, at which the read really stops.
 */
import type { Exec } from "./exec.ts";
import { FileTooLarge, type Fs, type ReadOptions } from "./fs.ts";

const KERNEL_FILES = /^\/(proc|sys)\//;
/** The default cap of one file; /proc/net/dev on a router with many VLANs stays well below. */
export const FILE_MAX = 1 << 20;
const PROGRAM_TIMEOUT_MS = 5_000;
/** Without grep, at most this many refused files are read one cat each. */
const CAT_EACH_MAX = 8;

/** What the sources read through: bounded reads, and many small kernel files at once. */
export interface SourceFs {
  /** Reads a file, at most `maxBytes` (1 MiB by default). */
  readTextFile(path: string, options?: ReadOptions): Promise<string>;
  /** The names in a directory. */
  readDir(path: string): Promise<string[]>;
  /** The contents of those of `paths` that exist and can be read (the others are absent). */
  readMany(paths: string[], options?: ReadOptions): Promise<Map<string, string>>;
}

interface Request {
  path: string;
  maxBytes: number;
  /** Deno's refusal, given back when no program may read the file either. */
  refusal: unknown;
  done: PromiseWithResolvers<string>;
}

/** Reads kernel files through Deno, and those Deno refuses (/proc, /sys) through `cat` or one `grep` per turn. */
export class KernelFs implements SourceFs {
  #batch: Request[] | undefined;

  /** Reads through `fs`; runs `cat` and `grep` through `exec` when Deno refuses. */
  constructor(private readonly fs: Fs, private readonly exec: Exec) {}

  /** A file's text, capped; a refused kernel file joins this turn's batch. */
  async readTextFile(path: string, options: ReadOptions = {}): Promise<string> {
    const maxBytes = options.maxBytes ?? FILE_MAX;
    try {
      return await this.fs.readTextFile(path, { ...options, maxBytes });
    } catch (refusal) {
      if (!(refusal instanceof Deno.errors.NotCapable) || !KERNEL_FILES.test(path)) throw refusal;
      const request: Request = { path, maxBytes, refusal, done: Promise.withResolvers() };
      this.#enqueue(request);
      options.signal?.addEventListener("abort", () => request.done.reject(options.signal?.reason), {
        once: true,
      });
      return await request.done.promise;
    }
  }

  /** Listing goes through Deno only: a refused /sys/class/net is the caller's to work around. */
  readDir(path: string): Promise<string[]> {
    return this.fs.readDir(path);
  }

  async readMany(paths: string[], options: ReadOptions = {}): Promise<Map<string, string>> {
    const read = await Promise.all(
      paths.map((path) => this.readTextFile(path, options).catch((error) => error as Error)),
    );
    // Nothing at all read because no program may read them: that is the answer, not emptiness.
    const refusal = read.find((r) => r instanceof Deno.errors.NotCapable);
    if (refusal && read.every((r) => r instanceof Error)) throw refusal;
    return new Map(
      paths.flatMap((path, i) => typeof read[i] === "string" ? [[path, read[i] as string]] : []),
    );
  }

  /** Reads that arrive in the same turn of the event loop share one program. */
  #enqueue(request: Request): void {
    if (this.#batch) return void this.#batch.push(request);
    const batch = this.#batch = [request];
    setTimeout(() => {
      this.#batch = undefined;
      this.#readBatch(batch).catch((error) => {
        for (const { done } of batch) done.reject(error);
      });
    }, 0);
  }

  async #readBatch(batch: Request[]): Promise<void> {
    const paths = [...new Set(batch.map((r) => r.path))];
    if (paths.length === 1) return void await this.#read(batch, ["cat", paths[0]]);
    // `grep -H '' FILES` prints every line as `FILE:line`; -s keeps missing files quiet, so
    // nothing but those lines reaches the output.
    const grep = await this.#read(batch, ["grep", "-s", "-H", "", "--", ...paths]);
    if (grep !== "not run" || paths.length > CAT_EACH_MAX) return;
    // No grep (a preset that grants cat only): a few files one cat each, never dozens.
    await Promise.all(
      paths.map((path) => this.#read(batch.filter((r) => r.path === path), ["cat", path])),
    );
  }

  /**
   * Runs `argv` for the requests of `batch` and settles them; "not run" (and nothing
   * settled) when the program may not run and the caller has another way.
   */
  async #read(batch: Request[], argv: string[]): Promise<"not run" | void> {
    const paths = [...new Set(batch.map((r) => r.path))];
    const outputMax = batch.reduce((n, r) => n + r.maxBytes, 0);
    const result = await this.exec.run({
      argv,
      alone: true,
      timeoutMs: PROGRAM_TIMEOUT_MS,
      outputMax,
    });
    if (result.exitCode === null && argv[0] === "grep" && paths.length <= CAT_EACH_MAX) {
      return "not run";
    }
    const files = argv[0] === "cat"
      ? new Map(result.exitCode === 0 ? [[paths[0], result.output]] : [])
      : parsePrefixedLines(result.output, paths);
    for (const { path, maxBytes, refusal, done } of batch) {
      const text = files.get(path);
      if (result.exitCode === null) {
        // The program may not run either: Deno's refusal, and why the program did not help.
        const why = `${argv[0]} did not run${result.error ? ` (${result.error})` : ""}`;
        done.reject(new Deno.errors.NotCapable(`${(refusal as Error).message}; ${why}`));
      } else if (
        result.truncated || (text && new TextEncoder().encode(text).length > maxBytes)
      ) {
        done.reject(new FileTooLarge(path, maxBytes));
      } else if (text === undefined) {
        done.reject(new Deno.errors.NotFound(`${path}: no such file`));
      } else done.resolve(text);
    }
  }
}

/**
 * The files of `grep -H '' FILES` output: `FILE:line` per line, each file's lines joined
 * back. A line is attributed only to a path that was asked for.
 *
 * @example
 * parsePrefixedLines("/sys/a:1\n/sys/b:x:y\n", ["/sys/a", "/sys/b"]);
 * // Map { "/sys/a" => "1\n", "/sys/b" => "x:y\n" }
 */
export function parsePrefixedLines(output: string, paths: string[]): Map<string, string> {
  const asked = new Set(paths);
  const files = new Map<string, string>();
  for (const line of output.split("\n")) {
    // The path part has no colon: interface names cannot hold one, nor can /proc files.
    const colon = line.indexOf(":");
    const path = line.slice(0, colon);
    if (colon < 0 || !asked.has(path)) continue;
    files.set(path, (files.get(path) ?? "") + line.slice(colon + 1) + "\n");
  }
  return files;
}
