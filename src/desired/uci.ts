/**
 * UCI through its command line (`uci export/set/add_list/delete/commit`), then
 * `reload_config`. Values are argv words, never shell text: uci takes everything after the
 * first `=` as the value.
 */
import { type Exec, type ExecResult, saidBy } from "../io/mod.ts";
import { findSection, parseUciExport, type UciValue } from "../openwrt/mod.ts";

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

  /**
   * The options at `paths` (`package.section.option`), lists as lists; null for one that is
   * not set. Each package is exported once.
   */
  async read(paths: readonly string[]): Promise<Record<string, UciValue | null>> {
    const packages = new Map<string, ReturnType<typeof parseUciExport>>();
    const values: Record<string, UciValue | null> = {};
    for (const path of paths) {
      const [name, section, option] = splitPath(path);
      if (!packages.has(name)) {
        const result = await this.#run(["-q", "export", name]);
        // uci's "entry not found": no such package, so none of its options is set.
        if (result.exitCode === 1 && !result.error) packages.set(name, []);
        else if (result.exitCode !== 0) throw failure(`uci export ${name}`, result);
        else packages.set(name, parseUciExport(result.output));
      }
      values[path] = findSection(packages.get(name)!, section)?.options.get(option) ?? null;
    }
    return values;
  }

  /**
   * Sets the option, or the list (staged until `commit`); deletes it for null. What was
   * there goes first, so that a list never keeps elements of before, nor an option turns
   * into a list's first element.
   */
  async put(path: string, value: UciValue | null): Promise<void> {
    const removed = await this.#run(["-q", "delete", path]);
    if (removed.exitCode !== 0 && (removed.exitCode !== 1 || removed.error)) {
      throw failure(`uci delete ${path}`, removed);
    }
    if (value === null) return;
    for (const item of typeof value === "string" ? [value] : value) {
      const verb = typeof value === "string" ? "set" : "add_list";
      const result = await this.#run([verb, `${path}=${item}`]);
      if (result.exitCode !== 0) throw failure(`uci ${verb} ${path}`, result);
    }
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

/** `package`, `section`, `option` of a checked path (`section` may be `@type[i]`). */
function splitPath(path: string): [string, string, string] {
  const first = path.indexOf(".");
  const last = path.lastIndexOf(".");
  return [path.slice(0, first), path.slice(first + 1, last), path.slice(last + 1)];
}

function failure(what: string, result: ExecResult): Error {
  const why = result.error ?? (result.timedOut ? "timed out" : `exit ${result.exitCode}`);
  const output = saidBy(result);
  return new Error(`${what} failed (${why})${output ? `: ${output}` : ""}`);
}
