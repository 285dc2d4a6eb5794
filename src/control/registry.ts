/**
 * The control commands: capabilities register a name, an argument schema and a handler;
 * the registry validates requests and shapes every answer the way BNG Blaster does.
 * It knows nothing about jobs, stats or MQTT.
 */
import * as z from "zod/mini";
import type { Result } from "../result.ts";

/** An answer's `status`: `warning` for absent or not-ready things, `error` for bad requests. */
export type Status = "ok" | "warning" | "error";

/** One answer, as BNG Blaster shapes it: `{status, code, message?, <command>: payload}`. */
export interface Reply {
  /** `ok`, `warning` or `error`. */
  status: Status;
  /** An HTTP-like code: 200, 400, 404, 503 … */
  code: number;
  /** Why, for anything but `ok`. */
  message?: string;
  /** The payload, under the command's name (or its `payloadKey`). */
  [payload: string]: unknown;
}

/** A failure a handler reports to the client: `warning` for absent things, else `error`. */
export class CommandError extends Error {
  /** `code` and `status` go into the answer as they are. */
  constructor(readonly code: number, message: string, readonly status: Status = "error") {
    super(message);
  }
}

/** A 404 warning: "job 7 not found". */
export const notFound = (what: string): CommandError =>
  new CommandError(404, `${what} not found`, "warning");

/** What an argument is checked with: a zod schema (structurally, so the face names no zod type). */
export interface ArgSchema<T> {
  /** Checks a value: its parsed form, or a failure. */
  safeParse(value: unknown): { success: true; data: T } | { success: false };
}

/** One argument of a command: its schema, whether it is mandatory, what it is. */
export interface ArgSpec<T = unknown, R extends boolean = boolean> {
  /** The value is checked with it; a failure answers 400 `invalid argument NAME`. */
  schema: ArgSchema<T>;
  /** Whether a request must give it (`commands` lists it as mandatory). */
  required: R;
  /** What it is, for `ledge ctl help`. */
  description: string;
}

/** A mandatory argument. */
export function required<T>(schema: ArgSchema<T>, description: string): ArgSpec<T, true> {
  return { schema, required: true, description };
}
/** An optional argument: `undefined` in the handler when not given. */
export function optional<T>(schema: ArgSchema<T>, description: string): ArgSpec<T, false> {
  return { schema, required: false, description };
}

/** The arguments of a command, by name. */
export type ArgsShape = Record<string, ArgSpec>;
/** The values a handler receives for an `ArgsShape`. */
export type ArgsOf<A extends ArgsShape> = {
  [K in keyof A]: A[K] extends ArgSpec<infer T, true> ? T
    : A[K] extends ArgSpec<infer T, false> ? T | undefined
    : never;
};

/** A command as a capability registers it. */
export interface CommandDef<A extends ArgsShape = ArgsShape> {
  /** The request's `command`. */
  name: string;
  /** One line for `commands` and `ledge ctl help`. */
  description: string;
  /** The capability that must be running; absent for global commands. */
  capability?: string;
  /** Its arguments by name; none when absent. */
  args?: A;
  /**
   * The answer's payload key when it cannot be the command's name: `status` would collide
   * with the reply's own `status` field (BNG Blaster too names some payloads differently,
   * `session-info` → `session-information`).
   */
  payloadKey?: string;
  /** Answers with the payload (undefined: none); throws a `CommandError` to refuse. */
  run(args: ArgsOf<A>): unknown;
}

/** What the registry asks the agent. */
export interface RegistryOptions {
  /**
   * Why a capability cannot answer now ("jobs starting", "mqtt off: disable_mqtt is set"),
   * or undefined when it runs.
   */
  unavailable(capability: string): string | undefined;
  /** Called with the error of a handler that threw something else than a CommandError. */
  onInternalError?(command: string, error: unknown): void;
}

const request = z.object({ command: z.string() });

/** The request's own `arguments`, untouched by a schema (one would drop `__proto__`). */
function argumentsOf(input: unknown): Record<string, unknown> | undefined | "invalid" {
  const given = (input as Record<string, unknown>).arguments;
  if (given === undefined) return undefined;
  return typeof given === "object" && given !== null && !Array.isArray(given)
    ? given as Record<string, unknown>
    : "invalid";
}

/** Every control command of one agent, and the answer to a request. */
export class CommandRegistry {
  #commands = new Map<string, CommandDef>();

  /** Starts with `commands`, which lists every command. */
  constructor(private readonly options: RegistryOptions = { unavailable: () => undefined }) {
    this.register({
      name: "commands",
      description: "every command with its arguments",
      run: () => this.describe(),
    });
  }

  /** Adds a command, or replaces the one of the same name (a reload re-registers). */
  register<A extends ArgsShape>(def: CommandDef<A>): void {
    this.#commands.set(def.name, def as unknown as CommandDef);
  }

  /** The command names, sorted. */
  names(): string[] {
    return [...this.#commands.keys()].sort();
  }

  /** Every command with its arguments: the payload of `commands`. */
  describe(): Record<string, unknown>[] {
    return this.names().map((name) => {
      const def = this.#commands.get(name)!;
      const args = Object.entries(def.args ?? {});
      return {
        command: name,
        description: def.description,
        mandatory: args.filter(([, a]) => a.required).map(([n]) => n),
        optional: args.filter(([, a]) => !a.required).map(([n]) => n),
        ...(def.capability ? { capability: def.capability } : {}),
      };
    });
  }

  /** Answers one parsed request; never throws. */
  async execute(input: unknown): Promise<Reply> {
    const parsed = request.safeParse(input);
    if (!parsed.success) return failure(400, "invalid request");
    const given = argumentsOf(input) ?? {};
    if (given === "invalid") return failure(400, "invalid request");
    const { command } = parsed.data;
    const def = this.#commands.get(command);
    if (!def) return failure(400, "unknown command");
    const args = validateArgs(def.args ?? {}, given);
    if (!args.ok) return failure(400, args.reason);
    const unavailable = def.capability && this.options.unavailable(def.capability);
    if (unavailable) return { status: "warning", code: 503, message: unavailable };
    try {
      const payload = await def.run(args.value as ArgsOf<ArgsShape>);
      const key = def.payloadKey ?? command;
      return { status: "ok", code: 200, ...(payload === undefined ? {} : { [key]: payload }) };
    } catch (error) {
      if (error instanceof CommandError) {
        return { status: error.status, code: error.code, message: error.message };
      }
      this.options.onInternalError?.(command, error);
      return failure(500, "internal error");
    }
  }
}

function failure(code: number, message: string): Reply {
  return { status: "error", code, message };
}

function validateArgs(
  specs: ArgsShape,
  given: Record<string, unknown>,
): Result<Record<string, unknown>> {
  // Own keys of the request as parsed: `__proto__` is one (JSON.parse makes it so) and is
  // no argument of any command.
  if (
    Reflect.ownKeys(given).some((name) => typeof name !== "string" || !Object.hasOwn(specs, name))
  ) {
    return { ok: false, reason: "invalid argument" };
  }
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(specs)) {
    if (!Object.hasOwn(given, name)) {
      if (spec.required) return { ok: false, reason: `missing argument ${name}` };
      continue;
    }
    const result = spec.schema.safeParse(given[name]);
    if (!result.success) return { ok: false, reason: `invalid argument ${name}` };
    values[name] = result.data;
  }
  return { ok: true, value: values };
}
