/**
 * The replies a job gets, in SocketMan's wire shapes (docs/mqtt.md, Replies). Pure: the
 * jobs decide, these only shape.
 */
import type { ExecResult } from "../io/mod.ts";

/** `delivery` goes to `delivery/...` (the acknowledgement), `result` to `pub/...`. */
export type ReplyKind = "delivery" | "result";

/** A reply in SocketMan's wire shape (`id`, `app`, `timestamp`, `event_type`, `meta`, ...). */
export type JobReply = Record<string, unknown> & { id: string; event_type: string };

/** How a job that ran ended, as its `event_type`. */
export type Outcome = "PROCESSED" | "FAILED" | "TIMEOUT" | "CANCELLED";
/** Why a job was not run, as its `event_type`. */
export type Refusal = "REJECTED" | "DUPLICATE" | "EXPIRED" | "BUSY";

/** What every reply carries beside the job's own fields. */
export interface ReplyContext {
  /** The `app` field. */
  app: string;
  /** Wall-clock milliseconds; replies carry seconds. */
  now: number;
}

const seconds = (ms: number) => Math.floor(ms / 1000);

/** The `delivery/...` acknowledgement, sent as soon as a job is accepted. */
export function deliveredReply(id: string, ctx: ReplyContext): JobReply {
  return {
    id,
    app: ctx.app,
    timestamp: seconds(ctx.now),
    event_type: "DELIVERED",
    meta: { delivered: true },
  };
}

/**
 * What a finished run is called on the wire: `PROCESSED` for every program that ran to its
 * end, whatever its exit code, as SocketMan said (`success` and `exit_code` tell them
 * apart); `FAILED` only when it could not start.
 */
export function outcomeOf(result: ExecResult): Outcome {
  if (result.cancelled) return "CANCELLED";
  if (result.timedOut) return "TIMEOUT";
  return result.error ? "FAILED" : "PROCESSED";
}

/** SocketMan's `meta.msg` for a command that printed nothing. */
export const NO_OUTPUT = "DNE";

/**
 * The `pub/...` result of a job that ran (or could not start): SocketMan's fields, `meta.msg`
 * the head of stdout (`"DNE"` when empty), and ours added: `success`, `exit_code`, `stderr`
 * (its tail, when it said anything), `duration_ms`, `truncated`.
 */
export function resultReply(
  job: { id: string; meta: { type?: string } },
  result: ExecResult,
  ctx: ReplyContext,
  extra: Record<string, unknown> = {},
): JobReply {
  return {
    id: job.id,
    timestamp: seconds(ctx.now),
    app: ctx.app,
    event_type: outcomeOf(result),
    meta: { msg: result.output || NO_OUTPUT, type: job.meta.type ?? "" },
    success: result.exitCode === 0 && !result.error,
    exit_code: result.exitCode,
    ...(result.stderr ? { stderr: result.stderr } : {}),
    duration_ms: Math.round(result.durationMs),
    truncated: result.truncated,
    ...(result.error ? { error: result.error } : {}),
    ...extra,
  };
}

/** The `pub/...` answer to a job that was not run. */
export function refusalReply(
  id: string,
  refusal: Refusal,
  ctx: ReplyContext,
  reason?: string,
): JobReply {
  return {
    id,
    timestamp: seconds(ctx.now),
    app: ctx.app,
    event_type: refusal,
    // Old back ends show meta.msg: the reason goes there too.
    meta: { msg: reason ?? "" },
    ...(reason ? { reason } : {}),
  };
}

/** A reply's fields in REST mode (`rest_format: "post"` POSTs them as they are). */
export interface RestResult {
  id: string;
  success: boolean;
  output: string;
  event_type: string;
  exit_code: number | null;
}

/** A result or refusal reply, as REST mode POSTs it. */
export function toRestResult(reply: JobReply): RestResult {
  const meta = reply.meta as { msg?: unknown } | undefined;
  const exitCode = reply.exit_code;
  return {
    id: reply.id,
    success: typeof reply.success === "boolean" ? reply.success : reply.event_type === "PROCESSED",
    output: typeof meta?.msg === "string"
      ? meta.msg
      : typeof reply.reason === "string"
      ? reply.reason
      : "",
    event_type: reply.event_type,
    exit_code: typeof exitCode === "number" ? exitCode : null,
  };
}
