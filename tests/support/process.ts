/**
 * Runs `ledge` (src/main.ts) as a real subprocess with narrow permissions, and waits for
 * log lines with a deadline instead of sleeping.
 */
export const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;
export const ROOT = new URL("../../", import.meta.url).pathname;

export interface LedgeProcess {
  child: Deno.ChildProcess;
  /** Every stderr line so far. */
  lines: string[];
  /** Resolves with the first line (already seen or future) matching `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Everything on stdout, once the process has exited. */
  stdout: Promise<string>;
  status: Promise<Deno.CommandStatus>;
  kill(signal?: Deno.Signal): void;
}

export function spawnLedge(
  args: string[],
  options: {
    flags?: string[];
    env?: Record<string, string>;
    script?: string;
    /** The command line that runs `deno` (e.g. qemu and an arm64 deno); default: this deno. */
    runtime?: string[];
  } = {},
): LedgeProcess {
  const [runtime, ...runtimeArgs] = options.runtime ?? [Deno.execPath()];
  const child = new Deno.Command(runtime, {
    args: [
      ...runtimeArgs,
      "run",
      "--quiet",
      ...(options.flags ?? []),
      options.script ?? MAIN,
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
    clearEnv: true,
    env: { NO_COLOR: "1", PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", ...options.env },
  }).spawn();
  const stderr = watchLines(child.stderr);
  const stdout = new Response(child.stdout).text();
  const status = Promise.all([child.status, stderr.done]).then(([s]) => s);
  return {
    child,
    lines: stderr.lines,
    stdout,
    status,
    kill: (signal = "SIGTERM") => {
      try {
        child.kill(signal);
      } catch { /* already gone */ }
    },
    waitFor: stderr.waitFor,
  };
}

export interface WatchedLines {
  /** Every line so far. */
  lines: string[];
  /** Resolves with the first line (already seen or future) matching `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolves when the stream has ended. */
  done: Promise<void>;
}

/** Reads a byte stream (a child's stdout or stderr) line by line, to the end. */
export function watchLines(stream: ReadableStream<Uint8Array>): WatchedLines {
  const lines: string[] = [];
  const waiters = new Set<{ pattern: RegExp; resolve: (line: string) => void }>();
  const done = (async () => {
    // No TextDecoderStream: a stream stage more per chunk is work on the reader's loop, and
    // benches read the agent's log on the loop that measures it.
    const decoder = new TextDecoder();
    let pending = "";
    for await (const chunk of stream) {
      const parts = (pending + decoder.decode(chunk, { stream: true })).split("\n");
      pending = parts.pop()!;
      for (const line of parts) {
        lines.push(line);
        for (const waiter of waiters) {
          if (waiter.pattern.test(line)) {
            waiters.delete(waiter);
            waiter.resolve(line);
          }
        }
      }
    }
    pending += decoder.decode();
    if (pending) lines.push(pending);
  })();
  const waitFor = (pattern: RegExp, timeoutMs = 10_000) => {
    const seen = lines.find((l) => pattern.test(l));
    if (seen) return Promise.resolve(seen);
    return new Promise<string>((resolve, reject) => {
      const waiter = { pattern, resolve: (line: string) => (clearTimeout(timer), resolve(line)) };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(
          new Error(`no line matching ${pattern} within ${timeoutMs} ms:\n${lines.join("\n")}`),
        );
      }, timeoutMs);
      waiters.add(waiter);
      done.then(() => {
        if (!waiters.has(waiter)) return;
        waiters.delete(waiter);
        clearTimeout(timer);
        reject(new Error(`exited before a line matching ${pattern}:\n${lines.join("\n")}`));
      });
    });
  };
  return { lines, waitFor, done };
}

/** Runs ledge to completion and returns exit code, stdout and stderr. */
export async function runLedge(
  args: string[],
  flags: string[] = [],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", ...flags, MAIN, ...args],
    stdin: "null",
    env: { NO_COLOR: "1" },
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

/** A fresh temporary directory, removed by the returned disposer. */
export async function tempDir(prefix = "ledge-test-"): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}

/** Whether something is at `path`. */
export function exists(path: string): Promise<boolean> {
  return Deno.stat(path).then(() => true, () => false);
}
