import type { Exec, ExecRequest, ExecResult } from "./exec.ts";

/** Runs a program with Deno.Command. (The jobs issue hardens this: process groups, tails.) */
export const denoExec: Exec = {
  async run(request: ExecRequest): Promise<ExecResult> {
    const started = performance.now();
    const [program, ...args] = request.argv;
    try {
      const result = await new Deno.Command(program, {
        args,
        stdin: "null",
        signal: AbortSignal.any([
          AbortSignal.timeout(request.timeoutMs),
          ...(request.signal ? [request.signal] : []),
        ]),
      }).output();
      const output = new TextDecoder().decode(new Uint8Array([...result.stdout, ...result.stderr]));
      return {
        exitCode: result.signal ? null : result.code,
        output: output.slice(-request.outputMax),
        truncated: output.length > request.outputMax,
        timedOut: false,
        cancelled: request.signal?.aborted ?? false,
        durationMs: performance.now() - started,
      };
    } catch (error) {
      return {
        exitCode: null,
        output: "",
        truncated: false,
        timedOut: false,
        cancelled: false,
        durationMs: performance.now() - started,
        error: error instanceof Error ? error.message : String(error),
      };
    }
  },
};
