/**
 * How the collector reads files. Deno (2.9) refuses to read /proc and /sys without
 * --allow-all, whatever --allow-read says ("Requires all access to /proc/uptime"): they can
 * expose other processes' memory. Rather than run the agent with -A, the collector reads
 * those files through `cat` (--allow-run=cat), one small program with no shell, and many
 * of them at once (the interface files) through one `grep`.
 *
 * Every read is bounded: a size cap (a lease file gone wild, a symlink to /dev/zero) and
 * the source's deadline, at which the read really stops (the program is killed).
 */
import { FileTooLarge, type ReadOptions } from "../io/fs.ts";
import type { Exec, Fs } from "../io/mod.ts";

const KERNEL_FILES = /^\/(proc|sys)\//;
/** The default cap of one file; /proc/net/dev on a router with many VLANs stays well below. */
export const FILE_MAX = 1 << 20;
const PROGRAM_TIMEOUT_MS = 5_000;

/** What the sources read through: bounded reads, and many small kernel files at once. */
export interface SourceFs {
  readTextFile(path: string, options?: ReadOptions): Promise<string>;
  readDir(path: string): Promise<string[]>;
  /**
   * The contents of those of `paths` that exist and can be read, each whole (`undefined`
   * for the others). One program for all of them when Deno refuses them.
   */
  readMany(paths: string[], options?: ReadOptions): Promise<Map<string, string>>;
}

export class KernelFs implements SourceFs {
  constructor(private readonly fs: Fs, private readonly exec: Exec) {}

  async readTextFile(path: string, options: ReadOptions = {}): Promise<string> {
    const bounded = { ...options, maxBytes: options.maxBytes ?? FILE_MAX };
    try {
      return await this.fs.readTextFile(path, bounded);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotCapable) || !KERNEL_FILES.test(path)) throw error;
      const result = await this.exec.run({
        argv: ["cat", path],
        timeoutMs: PROGRAM_TIMEOUT_MS,
        outputMax: bounded.maxBytes,
        signal: options.signal,
      });
      if (result.truncated) throw new FileTooLarge(path, bounded.maxBytes);
      if (result.exitCode === 0) return result.output;
      if (result.exitCode === null) throw error; // cat not allowed: the original refusal
      throw new Deno.errors.NotFound(`${path}: ${result.output.trim() || "unreadable"}`);
    }
  }

  /** Listing goes through Deno only: a refused /sys/class/net is the caller's to work around. */
  readDir(path: string): Promise<string[]> {
    return this.fs.readDir(path);
  }

  async readMany(paths: string[], options: ReadOptions = {}): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    const refused: string[] = [];
    await Promise.all(paths.map(async (path) => {
      try {
        found.set(path, await this.fs.readTextFile(path, { ...options, maxBytes: FILE_MAX }));
      } catch (error) {
        if (error instanceof Deno.errors.NotCapable && KERNEL_FILES.test(path)) refused.push(path);
      }
    }));
    if (refused.length === 0) return found;
    // `grep -H '' FILES` prints every line as `FILE:line`; -s keeps missing files quiet, so
    // nothing but those lines reaches the output.
    const result = await this.exec.run({
      argv: ["grep", "-s", "-H", "", "--", ...refused],
      timeoutMs: PROGRAM_TIMEOUT_MS,
      outputMax: options.maxBytes ?? FILE_MAX,
      signal: options.signal,
    });
    if (result.exitCode === null) {
      throw new Deno.errors.NotCapable(
        `${refused[0]} and ${refused.length - 1} more: Deno refuses them and grep did not run` +
          (result.error ? ` (${result.error})` : ""),
      );
    }
    if (result.truncated) throw new FileTooLarge(refused[0], options.maxBytes ?? FILE_MAX);
    for (const [path, text] of parsePrefixedLines(result.output, refused)) found.set(path, text);
    return found;
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
