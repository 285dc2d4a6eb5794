import type { Exec, ExecRequest, ExecResult } from "./exec.ts";
import { TailBuffer } from "./tail_buffer.ts";

export interface DenoExecOptions {
  /** Time between SIGTERM and SIGKILL on timeout or cancel (default 5 s). */
  killGraceMs?: number;
  /**
   * How long the pipes are still read after the program exits: a background child
   * (`cmd &`) may hold them open, and must not hold the job with it (default 1 s).
   */
  drainMs?: number;
}

/**
 * Runs programs in their own session and process group, so that a timeout or a cancel
 * reaches every process the job started. stdout and stderr are drained concurrently into
 * one tail buffer of `outputMax` bytes: memory stays flat whatever the job prints.
 */
export function createDenoExec(options: DenoExecOptions = {}): Exec {
  const killGraceMs = options.killGraceMs ?? 5_000;
  const drainMs = options.drainMs ?? 1_000;
  return { run: (request) => runProgram(request, killGraceMs, drainMs) };
}

/** The runner with the spec's defaults: jobs, boot_cmd and recovery all go through it. */
export const denoExec: Exec = createDenoExec();

async function runProgram(
  request: ExecRequest,
  killGraceMs: number,
  drainMs: number,
): Promise<ExecResult> {
  const started = performance.now();
  const [program, ...args] = request.argv;
  const tail = new TailBuffer(request.outputMax);
  const result = (fields: Partial<ExecResult>): ExecResult => ({
    exitCode: null,
    output: tail.text(),
    truncated: tail.truncated,
    timedOut: false,
    cancelled: false,
    durationMs: Math.round(performance.now() - started),
    ...fields,
  });
  if (request.signal?.aborted) return result({ cancelled: true });

  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(program ?? "", {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      detached: true,
    }).spawn();
  } catch (error) {
    return result({ error: error instanceof Error ? error.message : String(error) });
  }

  let reason: "timeout" | "cancel" | undefined;
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  const stop = (why: "timeout" | "cancel") => {
    if (reason) return;
    reason = why;
    void killGroup(child, "SIGTERM");
    killTimer = setTimeout(() => void killGroup(child, "SIGKILL"), killGraceMs);
  };
  const timeoutTimer = setTimeout(() => stop("timeout"), request.timeoutMs);
  const onAbort = () => stop("cancel");
  request.signal?.addEventListener("abort", onAbort, { once: true });

  const readers = [child.stdout.getReader(), child.stderr.getReader()];
  const drained = Promise.all(readers.map((reader) => drain(reader, tail)));
  try {
    const status = await child.status;
    let drainTimer: ReturnType<typeof setTimeout> | undefined;
    const giveUp = new Promise<void>((resolve) => drainTimer = setTimeout(resolve, drainMs));
    await Promise.race([drained, giveUp]);
    clearTimeout(drainTimer);
    for (const reader of readers) reader.cancel().catch(() => {});
    return result({
      exitCode: status.signal ? null : status.code,
      timedOut: reason === "timeout",
      cancelled: reason === "cancel",
    });
  } finally {
    clearTimeout(timeoutTimer);
    clearTimeout(killTimer);
    request.signal?.removeEventListener("abort", onAbort);
  }
}

async function drain(reader: ReadableStreamDefaultReader<Uint8Array>, tail: TailBuffer) {
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      tail.push(value);
    }
  } catch {
    // A cancelled reader ends the drain; what was read is kept.
  }
}

/**
 * Signals the job's whole process group. `Deno.kill` on a group needs `--allow-run`
 * without a list; under the narrow `--allow-run=/bin/sh` the shell's `kill` does it, and
 * the group leader alone is the last resort.
 */
async function killGroup(child: Deno.ChildProcess, signal: "SIGTERM" | "SIGKILL") {
  try {
    Deno.kill(-child.pid, signal);
    return;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
  }
  try {
    const { success } = await new Deno.Command("/bin/sh", {
      args: ["-c", `kill -s ${signal.slice(3)} -- -${child.pid}`],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).output();
    if (success) return;
  } catch { /* no shell either */ }
  try {
    child.kill(signal);
  } catch { /* already gone */ }
}
