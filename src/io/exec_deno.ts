import type { Exec, ExecRequest, ExecResult } from "./exec.ts";
import { HeadBuffer } from "./head_buffer.ts";
import { TailBuffer } from "./tail_buffer.ts";

/** The program that starts shell jobs in their own session, when this process may run it. */
export const SETSID = "setsid";

/**
 * What a gated shell command runs first: a line from the pipe on its stdin, the agent's
 * "go". At EOF (the gate closed, or the agent died and the kernel closed its end) it exits
 * 125 without running anything of the command.
 */
const GATE_SCRIPT = "read -r ledge_go || exit 125; unset ledge_go\n";
const GO = new TextEncoder().encode("go\n");
/** A program's stderr kept by default: the end of what it says, for a log line or a reply. */
const STDERR_MAX = 4096;

export interface DenoExecOptions {
  /** Time between SIGTERM and SIGKILL on timeout or cancel (default 5 s). */
  killGraceMs?: number;
  /**
   * How long the pipes are still read after the program exits: a background child
   * (`cmd &`) may hold them open, and must not hold the job with it (default 1 s).
   */
  drainMs?: number;
  /** The program that starts shell jobs in a new session (default `setsid`, see below). */
  setsid?: string;
}

/**
 * Runs programs in their own session and process group, so that a timeout or a cancel
 * reaches every process the job started (`alone` ones in this process's group). stdout and
 * stderr are drained concurrently, stdout's head and stderr's tail kept: memory stays flat
 * whatever the job prints.
 */
export function createDenoExec(options: DenoExecOptions = {}): Exec {
  const timing = { killGraceMs: options.killGraceMs ?? 5_000, drainMs: options.drainMs ?? 1_000 };
  const setsid = options.setsid ?? SETSID;
  // Asked once, at the first shell job (a query costs a job 0.1 ms): a grant never appears
  // later in a process that does not prompt.
  let setsidGranted: boolean | undefined;
  const shellVia = () => {
    setsidGranted ??= granted({ name: "run", command: setsid });
    return setsidGranted ? setsid : undefined;
  };
  return { run: (request) => runProgram(request, timing, shellVia) };
}

/** The runner with the spec's defaults: jobs, boot_cmd and recovery all go through it. */
export const denoExec: Exec = createDenoExec();

async function runProgram(
  request: ExecRequest,
  { killGraceMs, drainMs }: { killGraceMs: number; drainMs: number },
  shellVia: () => string | undefined,
): Promise<ExecResult> {
  const started = performance.now();
  const [program, ...args] = request.argv;
  const stdout = new HeadBuffer(request.outputMax);
  const stderr = new TailBuffer(request.stderrMax ?? STDERR_MAX);
  const result = (fields: Partial<ExecResult>): ExecResult => ({
    exitCode: null,
    output: stdout.text(),
    stderr: stderr.text(),
    truncated: stdout.truncated || stderr.truncated,
    timedOut: false,
    cancelled: false,
    durationMs: Math.round(performance.now() - started),
    ...fields,
  });
  if (request.signal?.aborted) return result({ cancelled: true });
  const gate = request.gate?.catch(() => false);
  const gated = gate !== undefined && program === "/bin/sh" && args.length === 2 &&
    args[0] === "-c";
  if (gate && !gated && !await gate) return result({ error: "not run: its gate closed" });

  let child: Deno.ChildProcess;
  try {
    const argv = gated ? ["-c", GATE_SCRIPT + args[1]] : args;
    child = request.alone
      ? spawn(program ?? "", argv, "null", false)
      : spawnInOwnSession(program ?? "", argv, shellVia, gated ? "piped" : "null");
  } catch (error) {
    return result({ error: error instanceof Error ? error.message : String(error) });
  }
  if (gated) void openWhen(gate, child.stdin);

  let reason: "timeout" | "cancel" | undefined;
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  const stop = (why: "timeout" | "cancel") => {
    if (reason) return;
    reason = why;
    const kill = request.alone ? killAlone : killGroup;
    void kill(child, "SIGTERM");
    killTimer = setTimeout(() => void kill(child, "SIGKILL"), killGraceMs);
  };
  const timeoutTimer = setTimeout(() => stop("timeout"), request.timeoutMs);
  const onAbort = () => stop("cancel");
  request.signal?.addEventListener("abort", onAbort, { once: true });

  // A gated shell prints nothing before its go: its pipes are read from then on, which takes
  // their set-up off the job's path (the go waits for the loop to come round).
  if (gated) await Promise.race([gate, child.status]);
  const readers = [child.stdout, child.stderr].map((pipe) => pipe.getReader({ mode: "byob" }));
  let drainedAll = false;
  const drained = Promise.all([drain(readers[0], stdout), drain(readers[1], stderr)])
    .then(() => void (drainedAll = true));
  try {
    const status = await child.status;
    // Most programs close their pipes as they exit: no timer then (each costs the loop).
    if (!drainedAll) {
      let drainTimer: ReturnType<typeof setTimeout> | undefined;
      const giveUp = new Promise<void>((resolve) => drainTimer = setTimeout(resolve, drainMs));
      await Promise.race([drained, giveUp]);
      clearTimeout(drainTimer);
    }
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

/**
 * Starts the program as the leader of a new session. Shell jobs start through `setsid`
 * (`shellVia`, when granted), which makes the session and execs the shell in place (same
 * pid, group and session): Deno's `detached` forks the whole agent for it instead of
 * spawning, and that costs milliseconds per job in a process of the agent's size (a 20 MB
 * heap: 5.8 ms detached, 3.0 through setsid). Only for /bin/sh, which is always there: a
 * missing program must still fail to start, not be a setsid error. Without setsid (not
 * granted, or absent): detached.
 */
function spawnInOwnSession(
  program: string,
  args: string[],
  shellVia: () => string | undefined,
  stdin: "null" | "piped",
): Deno.ChildProcess {
  const setsid = program === "/bin/sh" ? shellVia() : undefined;
  if (!setsid) return spawn(program, args, stdin, true);
  try {
    return spawn(setsid, [program, ...args], stdin, false);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    return spawn(program, args, stdin, true);
  }
}

function spawn(
  program: string,
  args: string[],
  stdin: "null" | "piped",
  detached: boolean,
): Deno.ChildProcess {
  return new Deno.Command(program, { args, stdin, stdout: "piped", stderr: "piped", detached })
    .spawn();
}

/** Says "go" to a gated shell when the gate opens; then, or when it closes, ends its stdin. */
async function openWhen(gate: Promise<boolean>, stdin: WritableStream<Uint8Array>) {
  const writer = stdin.getWriter();
  try {
    if (await gate) await writer.write(GO);
    await writer.close();
  } catch { /* the shell is gone (killed, timed out): nothing waits for the word */ }
}

/**
 * Reads a pipe into `kept` through one reused buffer: a fresh chunk per read would leave
 * 100 MB of garbage for the collector to find later, and RSS would follow it.
 */
async function drain(reader: ReadableStreamBYOBReader, kept: { push(chunk: Uint8Array): void }) {
  let buffer = new Uint8Array(16 * 1024);
  try {
    for (;;) {
      const { done, value } = await reader.read(buffer);
      if (done || !value) return;
      kept.push(value);
      buffer = new Uint8Array(value.buffer);
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
  // Ask first: an ungranted call would prompt on a terminal and hang the job.
  if (granted({ name: "run" })) {
    try {
      Deno.kill(-child.pid, signal);
    } catch { /* the group is gone */ }
    return;
  }
  if (granted({ name: "run", command: "/bin/sh" })) {
    const killed = await new Deno.Command("/bin/sh", {
      args: ["-c", `kill -s ${signal.slice(3)} -- -${child.pid}`],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).output().then((out) => out.success, () => false);
    if (killed) return;
  }
  killAlone(child, signal);
}

/** Signals the program alone: one that started nothing of its own, or the last resort. */
function killAlone(child: Deno.ChildProcess, signal: "SIGTERM" | "SIGKILL"): void {
  try {
    child.kill(signal);
  } catch { /* already gone */ }
}

function granted(descriptor: Deno.PermissionDescriptor): boolean {
  return Deno.permissions.querySync(descriptor).state === "granted";
}
