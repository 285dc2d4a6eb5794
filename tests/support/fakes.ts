/**
 * The fakes of the I/O interfaces: files served from memory, and programs that answer
 * from a table or a function and record what they were asked to run.
 */
import {
  denoFs,
  type Exec,
  type ExecRequest,
  type ExecResult,
  type FileHandle,
  type FileInfo,
  type Fs,
} from "../../src/io/mod.ts";

const readOnly = () => Promise.reject(new Deno.errors.PermissionDenied("FakeFs is read-only"));

/** Files from a map, read-only; directories are the paths with entries below them. */
export class FakeFs implements Fs {
  constructor(readonly files: Map<string, string> = new Map()) {}

  open = readOnly;
  mkdir = readOnly;
  rename = readOnly;
  remove = readOnly;
  truncate = readOnly;

  size(path: string): Promise<number> {
    const text = this.files.get(path);
    return text === undefined
      ? Promise.reject(new Deno.errors.NotFound(`${path}: no such file`))
      : Promise.resolve(new TextEncoder().encode(text).length);
  }

  lstat(path: string): Promise<FileInfo> {
    const file = this.files.has(path);
    return file || [...this.files.keys()].some((f) => f.startsWith(`${path}/`))
      ? Promise.resolve({ isDirectory: !file, isSymlink: false, uid: 0, mode: 0o644 })
      : Promise.reject(new Deno.errors.NotFound(`${path}: not found`));
  }

  uid(): number {
    return 0;
  }

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

/** A finished run with this output and exit code. */
export function okResult(output: string, exitCode = 0): ExecResult {
  return {
    exitCode,
    output,
    stderr: "",
    truncated: false,
    timedOut: false,
    cancelled: false,
    durationMs: 3,
  };
}

/** A program that could not start. */
export function notFoundResult(program: string): ExecResult {
  return { ...okResult(""), exitCode: null, error: `${program}: not found` };
}

/**
 * Programs that are recorded and answer through a function (by default: exit 0, no
 * output), or from a table of outputs keyed by argv joined with spaces, where a program
 * that is not in the table is absent. A request with a gate runs (is recorded) once the
 * gate opens, never when it closes.
 */
export class FakeExec implements Exec {
  readonly requests: ExecRequest[] = [];
  readonly outputs: Map<string, string>;
  readonly #answer: (request: ExecRequest) => ExecResult | Promise<ExecResult>;

  constructor(
    answer: Map<string, string> | ((request: ExecRequest) => ExecResult | Promise<ExecResult>) =
      () => okResult(""),
  ) {
    this.outputs = answer instanceof Map ? answer : new Map();
    this.#answer = answer instanceof Map ? (request) => this.#fromTable(request) : answer;
  }

  /** The argv of every run, joined with spaces. */
  get calls(): string[] {
    return this.requests.map((r) => r.argv.join(" "));
  }

  async run(request: ExecRequest): Promise<ExecResult> {
    if (request.gate && !await request.gate.catch(() => false)) {
      return { ...okResult(""), exitCode: 125 };
    }
    this.requests.push(request);
    return await this.#answer(request);
  }

  #fromTable(request: ExecRequest): ExecResult {
    const output = this.outputs.get(request.argv.join(" "));
    return output === undefined ? notFoundResult(request.argv[0]) : okResult(output);
  }
}

/**
 * The real files, except for the methods `change` returns for a file it is opening: those
 * replace the real handle's (undefined: the file is left as it is).
 */
export function alteredFs(
  change: (
    path: string,
    options: Deno.OpenOptions,
    file: FileHandle,
  ) => Partial<FileHandle> | undefined,
): Fs {
  return {
    ...denoFs,
    open: async (path, options) => {
      const file = await denoFs.open(path, options);
      const changed = change(path, options, file);
      if (!changed) return file;
      return {
        read: (buffer) => file.read(buffer),
        write: (data) => file.write(data),
        writeSync: (data) => file.writeSync(data),
        sync: () => file.sync(),
        syncData: () => file.syncData(),
        tryLock: (exclusive) => file.tryLock(exclusive),
        close: () => file.close(),
        ...changed,
      };
    },
  };
}

/**
 * The real files, except that writes to the files opened while `full(path, options)` holds
 * fail as a full disk fails them (ENOSPC).
 */
export function fullDiskFs(full: (path: string, options: Deno.OpenOptions) => boolean): Fs {
  const noSpace = () => new Error("No space left on device (os error 28)");
  const refused = {
    write: () => Promise.reject(noSpace()),
    writeSync: (): number => {
      throw noSpace();
    },
  };
  return alteredFs((path, options) => full(path, options) ? refused : undefined);
}
