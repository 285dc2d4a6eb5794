/** Running programs, behind an interface: jobs, boot_cmd and recovery all go through it. */
export interface ExecRequest {
  /** Program and arguments; `["/bin/sh", "-c", cmd]` for shell mode. */
  argv: string[];
  /** Killed (its process group) after this long. */
  timeoutMs: number;
  /**
   * The program starts no processes of its own (a reader: `cat`, `ubus`, `iw`): it runs in
   * this process's group and a timeout or a cancel kills it alone, which lets it start by
   * posix_spawn; a session of its own costs a fork of the whole agent (milliseconds, and a
   * copy of its page tables, on a box at every collection).
   */
  alone?: boolean;
  /** Bytes of stdout kept (the head: a command's first lines, as SocketMan sent them). */
  outputMax: number;
  /** Bytes of stderr kept (the tail: where a failing program says why); default 4 KiB. */
  stderrMax?: number;
  /** Aborting kills it too; the result says `cancelled`. */
  signal?: AbortSignal;
  /**
   * Its command runs only once this resolves true; false (or a rejection): never, and the
   * result is of no meaning. A shell command (`/bin/sh -c`) is started at once and waits
   * for it on a pipe, so that its start overlaps what the gate waits for (a job's journal
   * fsync); it exits without running if this process dies first. Any other program is
   * started after.
   */
  gate?: Promise<boolean>;
}

/** How a program ended, with the head of its stdout and the tail of its stderr. */
export interface ExecResult {
  /** `null` when the program could not start or was killed by a signal. */
  exitCode: number | null;
  /** The first `outputMax` bytes of stdout. */
  output: string;
  /** The last `stderrMax` bytes of stderr. */
  stderr: string;
  /** Whether stdout or stderr was cut. */
  truncated: boolean;
  /** Whether it was killed for running past `timeoutMs`. */
  timedOut: boolean;
  /** Whether it was killed because `signal` aborted. */
  cancelled: boolean;
  /** Wall time it ran, ms. */
  durationMs: number;
  /** Why it could not start (permission denied, not found), if so. */
  error?: string;
}

/** Runs programs. */
export interface Exec {
  /** Runs one program to its end; never throws (a failure to start is in `error`). */
  run(request: ExecRequest): Promise<ExecResult>;
}

/** What a program said, for a log line or an error: its stderr, else its stdout, trimmed. */
export function saidBy(result: ExecResult): string {
  return (result.stderr.trim() || result.output.trim());
}
