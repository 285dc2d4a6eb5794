export { type Clock, systemClock } from "./clock.ts";
export type { Exec, ExecRequest, ExecResult } from "./exec.ts";
export { denoFs, type Fs, writeFileAtomic } from "./fs.ts";
export type { Net, ProbeResult } from "./net.ts";
export { denoNet } from "./net_deno.ts";
export { createDenoExec, denoExec, type DenoExecOptions } from "./exec_deno.ts";
export { parseArgv } from "./argv.ts";
