import { escapeControls, safeJson } from "./escape.ts";

/**
 * One line per event: `LEVEL component message key=value...` (or a JSON object per line).
 * Secrets are redacted twice over: by field name, and by value for every secret the
 * config holds, so a token inside a URL or an error message is caught as well.
 */

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
/** `debug`, `info`, `warn` or `error`. */
export type LogLevel = typeof LOG_LEVELS[number];
/** One line of text per event, or one JSON object. */
export type LogFormat = "text" | "json";
/** The key=value pairs of an event. */
export type LogFields = Record<string, unknown>;

/** Where finished lines go: stderr in the daemon, an array in tests. */
export type LogSink = (line: string, level: LogLevel) => void;

const SECRET_FIELD = /^(password|key|token|job_secret|secret|access_token|authorization|sig)$/i;
const TOKEN_IN_URL = /(access_token=)[^&\s"]+/g;
const PASSWORD_IN_URL = /(\/\/[^/:@\s"]+:)[^@/\s"]+@/g;
/** What a secret is written as. */
export const REDACTED = "***";

/** Shared by every Logger of one agent: level, format, sink and known secret values. */
export class LogCore {
  /** The lowest level written. */
  level: LogLevel;
  #secrets: string[] = [];

  /** Lines go to `sink`, as `format`, from `level` up. */
  constructor(
    readonly sink: LogSink,
    readonly format: LogFormat = "text",
    level: LogLevel = "info",
  ) {
    this.level = level;
  }

  /** Values that must never be written, whatever field or message carries them. */
  setSecrets(values: Iterable<string | undefined>): void {
    // Very short values would blank out unrelated text; they are still caught by field name.
    this.#secrets = [...values].filter((v): v is string => typeof v === "string" && v.length >= 4);
  }

  /** `text` with every known secret and URL credential replaced by `***`. */
  scrub(text: string): string {
    let out = text.replace(TOKEN_IN_URL, `$1${REDACTED}`).replace(
      PASSWORD_IN_URL,
      `$1${REDACTED}@`,
    );
    for (const secret of this.#secrets) out = out.replaceAll(secret, REDACTED);
    return out;
  }

  /** A field's value as it may be written: `***` for a secret field, scrubbed otherwise. */
  redact(name: string, value: unknown): unknown {
    if (SECRET_FIELD.test(name) && value !== undefined && value !== null) return REDACTED;
    if (typeof value === "string") return this.scrub(value);
    if (value instanceof Error) return this.scrub(value.message);
    if (Array.isArray(value)) return value.map((v) => this.redact("", v));
    if (value && typeof value === "object") {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.redact(k, v)]));
    }
    return value;
  }

  /** Whether lines of `level` are written. */
  enabled(level: LogLevel): boolean {
    return LOG_LEVELS.indexOf(level) >= LOG_LEVELS.indexOf(this.level);
  }
}

/** A value as text: bare when plain, else JSON; control characters always escaped. */
function textValue(value: unknown): string {
  if (typeof value !== "string") return escapeControls(safeJson(value) ?? String(value));
  return /^[^\s"=]+$/.test(value) ? escapeControls(value) : escapeControls(safeJson(value));
}

/** A component's logger: `INFO mqtt connected host=...`. */
export class Logger {
  /** Writes through `core` under the name `component`. */
  constructor(readonly core: LogCore, readonly component: string) {}

  /** A logger for another component, on the same core. */
  child(component: string): Logger {
    return new Logger(this.core, component);
  }

  /** Logs at debug level. */
  debug(message: string, fields?: LogFields): void {
    this.#write("debug", message, fields);
  }
  /** Logs at info level. */
  info(message: string, fields?: LogFields): void {
    this.#write("info", message, fields);
  }
  /** Logs at warn level. */
  warn(message: string, fields?: LogFields): void {
    this.#write("warn", message, fields);
  }
  /** Logs at error level. */
  error(message: string, fields?: LogFields): void {
    this.#write("error", message, fields);
  }

  #write(level: LogLevel, message: string, fields: LogFields = {}): void {
    const core = this.core;
    if (!core.enabled(level)) return;
    const safe = Object.entries(fields).filter(([, v]) => v !== undefined)
      .map(([k, v]) => [k, core.redact(k, v)] as const);
    const text = core.scrub(message);
    if (core.format === "json") {
      core.sink(
        safeJson({
          ts: new Date().toISOString(),
          level,
          component: this.component,
          message: text,
          ...Object.fromEntries(safe),
        }),
        level,
      );
      return;
    }
    const pairs = safe.map(([k, v]) => ` ${k}=${textValue(v)}`).join("");
    core.sink(`${level.toUpperCase()} ${this.component} ${escapeControls(text)}${pairs}`, level);
  }
}

/**
 * A logger writing to stderr, the daemon's default. With `split`, debug and info lines go to
 * stdout instead: procd logs a service's stdout at daemon.info and its stderr at daemon.err,
 * and has no other way to tell logd a line's level.
 */
export function stderrLogger(format: LogFormat, level: LogLevel, split = false): Logger {
  const encoder = new TextEncoder();
  const sink: LogSink = (line, lineLevel) => {
    const stream = split && (lineLevel === "debug" || lineLevel === "info")
      ? Deno.stdout
      : Deno.stderr;
    stream.writeSync(encoder.encode(line + "\n"));
  };
  return new Logger(new LogCore(sink, format, level), "ledge");
}

/** A logger that keeps its lines, for tests. */
export function memoryLogger(level: LogLevel = "debug"): { log: Logger; lines: string[] } {
  const lines: string[] = [];
  return { log: new Logger(new LogCore((l) => lines.push(l), "text", level), "test"), lines };
}
