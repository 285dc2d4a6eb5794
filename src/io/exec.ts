/** Running programs, behind an interface: jobs, boot_cmd and recovery all go through it. */
export interface ExecRequest {
  /** Program and arguments; `["/bin/sh", "-c", cmd]` for shell mode. */
  argv: string[];
  timeoutMs: number;
  /** Bytes of combined stdout+stderr kept (the tail). */
  outputMax: number;
  signal?: AbortSignal;
}

export interface ExecResult {
  /** `null` when the program could not start or was killed by a signal. */
  exitCode: number | null;
  output: string;
  truncated: boolean;
  timedOut: boolean;
  cancelled: boolean;
  durationMs: number;
  /** Why it could not start (permission denied, not found), if so. */
  error?: string;
}

export interface Exec {
  run(request: ExecRequest): Promise<ExecResult>;
}
