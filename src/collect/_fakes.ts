/**
 * Fake I/O for the collector's tests and benchmark: files and program outputs served from
 * memory, and a clock that moves only when told.
 */
import type { Clock, Exec, ExecRequest, ExecResult, Fs } from "../io/mod.ts";

/** Files from a map; directories are the paths with entries below them. */
export class FakeFs implements Fs {
  constructor(readonly files: Map<string, string> = new Map()) {}

  readTextFile(path: string): Promise<string> {
    const text = this.files.get(path);
    return text === undefined
      ? Promise.reject(new Deno.errors.NotFound(`${path}: no such file`))
      : Promise.resolve(text);
  }

  readDir(path: string): Promise<string[]> {
    const prefix = `${path}/`;
    const names = new Set<string>();
    for (const file of this.files.keys()) {
      if (file.startsWith(prefix)) names.add(file.slice(prefix.length).split("/")[0]);
    }
    return names.size === 0
      ? Promise.reject(new Deno.errors.NotFound(`${path}: no such directory`))
      : Promise.resolve([...names]);
  }
}

/** Programs answer from a map keyed by their argv joined with spaces; others are absent. */
export class FakeExec implements Exec {
  readonly calls: string[] = [];
  constructor(readonly outputs: Map<string, string> = new Map()) {}

  run(request: ExecRequest): Promise<ExecResult> {
    const key = request.argv.join(" ");
    this.calls.push(key);
    const output = this.outputs.get(key);
    const base = { truncated: false, timedOut: false, cancelled: false, durationMs: 0 };
    return Promise.resolve(
      output === undefined
        ? { ...base, exitCode: null, output: "", error: `${request.argv[0]}: not found` }
        : { ...base, exitCode: 0, output },
    );
  }
}

/** A clock moved by `advance`; `untilPending` awaits sleepers instead of sleeping itself. */
export class ManualClock implements Clock {
  #now: number;
  #monotonic = 0;
  #timers: { at: number; resolve: () => void }[] = [];
  #waiters: (() => void)[] = [];

  constructor(start = 1732420000000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  monotonic(): number {
    return this.#monotonic;
  }

  /** Pending sleeps' wake-up times, relative to now. */
  get pending(): number[] {
    return this.#timers.map((t) => t.at - this.#monotonic);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const timer = {
        at: this.#monotonic + ms,
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.#timers = this.#timers.filter((t) => t !== timer);
        this.#notify();
        reject(signal?.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#timers.push(timer);
      this.#notify();
    });
  }

  #notify(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** Resolves once exactly `count` sleeps are pending (others woke or were aborted). */
  async untilPending(count: number): Promise<void> {
    while (this.#timers.length !== count) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  advance(ms: number): void {
    this.#monotonic += ms;
    this.#now += ms;
    const due = this.#timers.filter((t) => t.at <= this.#monotonic);
    this.#timers = this.#timers.filter((t) => t.at > this.#monotonic);
    for (const timer of due) timer.resolve();
  }
}
