/**
 * Deno (2.9) refuses to read /proc and /sys without --allow-all, whatever --allow-read
 * says ("Requires all access to /proc/uptime"): they can expose other processes' memory.
 * Rather than run the agent with -A, the collector reads those files through `cat`
 * (--allow-run=cat), one small program with no shell.
 */
import type { Exec, Fs } from "../io/mod.ts";

const KERNEL_FILES = /^\/(proc|sys)\//;
// /proc and /sys files are small; /proc/net/dev on a router with many VLANs stays well below.
const KERNEL_FILE_MAX = 1 << 20;
const CAT_TIMEOUT_MS = 5_000;

/** An Fs that reads /proc and /sys through `cat` when Deno will not read them itself. */
export class KernelFs implements Fs {
  constructor(private readonly fs: Fs, private readonly exec: Exec) {}

  async readTextFile(path: string): Promise<string> {
    try {
      return await this.fs.readTextFile(path);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotCapable) || !KERNEL_FILES.test(path)) throw error;
      const result = await this.exec.run({
        argv: ["cat", path],
        timeoutMs: CAT_TIMEOUT_MS,
        outputMax: KERNEL_FILE_MAX,
      });
      if (result.exitCode === 0 && !result.truncated) return result.output;
      if (result.exitCode === null) throw error; // cat not allowed: the original refusal
      throw new Deno.errors.NotFound(`${path}: ${result.output.trim() || "unreadable"}`);
    }
  }

  /** Listing goes through Deno only: /sys/class/net via cat would cost a program per file. */
  readDir(path: string): Promise<string[]> {
    return this.fs.readDir(path);
  }
}
