/**
 * The I/O the agent does, behind interfaces tests replace (clock, fs, exec, net), and one
 * primitive each for what several capabilities need: a deadline race, a durable JSON-lines
 * file, capped reads, argv parsing, the API URL with `access_token` and `mac`.
 */
export { apiUrl } from "./api_url.ts";
export { parseArgv } from "./argv.ts";
export { type Clock, systemClock } from "./clock.ts";
export { deadline, settlesWithin, TIMED_OUT } from "./deadline.ts";
export { type Exec, type ExecRequest, type ExecResult, saidBy } from "./exec.ts";
export { denoExec, SETSID } from "./exec_deno.ts";
export {
  concatBytes,
  denoFs,
  type FileHandle,
  type FileInfo,
  FileTooLarge,
  type Fs,
  privateDir,
  type ReadOptions,
  tempPathOf,
  UnsafeDirError,
  writeFileAtomic,
} from "./fs.ts";
export { type JsonSchema, readJsonFile } from "./json_file.ts";
export { FILE_MAX, KernelFs, type SourceFs } from "./kernel_fs.ts";
export { type JsonLines, JsonLinesFile } from "./jsonl_file.ts";
export type { Net, ProbeResult } from "./net.ts";
export { denoNet } from "./net_deno.ts";
export { readCapped } from "./read_capped.ts";
