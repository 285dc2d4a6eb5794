/** UCI through its command line (`uci get/set/delete/commit`), then `reload_config`. */
import type { Exec, ExecResult } from "../io/mod.ts";

const UCI_TIMEOUT_MS = 30_000;
const RELOAD_TIMEOUT_MS = 120_000;

/** The UCI options of the box. */
export class Uci {
  readonly #exec: Exec;
  readonly #uci: string;
  readonly #reload: string;

  /** `uci` and `reload` are the programs' paths (`desired.uci`, `desired.reload`). */
  constructor(exec: Exec, uci: string, reload: string) {
    this.#exec = exec;
    this.#uci = uci;
    this.#reload = reload;
  }

  /** The option's value; null when it is not set. */
  async get(path: string): Promise<string | null> {
    const result = await this.#run(["-q", "get", path]);
    if (result.exitCode === 0) return result.output.replace(/\n$/, "");
    if (result.exitCode === 1 && !result.error) return null; // uci's "entry not found"
    throw failure(`uci get ${path}`, result);
  }

  /** Sets the option (staged until `commit`), or deletes it for null. */
  async put(path: string, value: string | null): Promise<void> {
    if (value === null) {
      const result = await this.#run(["-q", "delete", path]);
      if (result.exitCode === 0 || (result.exitCode === 1 && !result.error)) return;
      throw failure(`uci delete ${path}`, result);
    }
    const result = await this.#run(["set", `${path}=${value}`]);
    if (result.exitCode !== 0) throw failure(`uci set ${path}`, result);
  }

  /** Writes the staged changes of these packages. */
  async commit(packages: readonly string[]): Promise<void> {
    for (const name of packages) {
      const result = await this.#run(["commit", name]);
      if (result.exitCode !== 0) throw failure(`uci commit ${name}`, result);
    }
  }

  /** Lets the services pick up what changed (`reload_config`). */
  async reload(): Promise<void> {
    const result = await this.#exec.run({
      argv: [this.#reload],
      timeoutMs: RELOAD_TIMEOUT_MS,
      outputMax: 4096,
    });
    if (result.exitCode !== 0) throw failure(this.#reload, result);
  }

  #run(args: string[]): Promise<ExecResult> {
    return this.#exec.run({
      argv: [this.#uci, ...args],
      alone: true,
      timeoutMs: UCI_TIMEOUT_MS,
      outputMax: 8192,
    });
  }
}

function failure(what: string, result: ExecResult): Error {
  const why = result.error ?? (result.timedOut ? "timed out" : `exit ${result.exitCode}`);
  const output = result.output.trim();
  return new Error(`${what} failed (${why})${output ? `: ${output}` : ""}`);
}
