/**
 * The job as it arrives on `sub/...`: SocketMan's `{id, timestamp, meta: {msg, type}}` plus
 * our optional `timeout`, `expires` and `sig`. Parsing is pure: bytes in, a job or the
 * reason it was refused out.
 */
import * as z from "zod/mini";

export const MAX_ID_LENGTH = 128;
export const MAX_MSG_BYTES = 64 * 1024;
/** Beyond this, a payload is not even decoded: a job is a 64 KiB command and a few fields. */
export const MAX_PAYLOAD_BYTES = MAX_MSG_BYTES * 2 + 4096;

const seconds = z.number().check(z.nonnegative());

export const jobSchema = z.object({
  id: z.string().check(z.minLength(1), z.maxLength(MAX_ID_LENGTH)),
  // Only `id` and `meta.msg` are required (spec): a back end that leaves `timestamp` out
  // keeps working, unless jobs must be signed, which needs it.
  timestamp: z.optional(seconds),
  meta: z.object({
    msg: z.string().check(
      z.refine((msg) => new TextEncoder().encode(msg).length <= MAX_MSG_BYTES, {
        message: `longer than ${MAX_MSG_BYTES} bytes`,
      }),
    ),
    type: z.optional(z.string().check(z.maxLength(64))),
  }),
  timeout: z.optional(z.number().check(z.positive(), z.lte(86_400))),
  expires: z.optional(seconds),
  sig: z.optional(z.string().check(z.maxLength(128))),
});

export type Job = z.infer<typeof jobSchema>;

export type ParsedJob = { ok: true; job: Job } | {
  ok: false;
  /** The id, when one could be read: the refusal can then be answered. */
  id?: string;
  reason: string;
};

/** Decodes and validates one payload; never throws. */
export function parseJob(payload: Uint8Array): ParsedJob {
  if (payload.length > MAX_PAYLOAD_BYTES) {
    return { ok: false, reason: `payload larger than ${MAX_PAYLOAD_BYTES} bytes` };
  }
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(payload);
  } catch {
    return { ok: false, reason: "payload is not UTF-8" };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, reason: "payload is not JSON" };
  }
  const parsed = jobSchema.safeParse(raw);
  if (parsed.success) return { ok: true, job: parsed.data };
  const issue = parsed.error.issues[0];
  const where = issue.path.length > 0 ? issue.path.join(".") : "job";
  return { ok: false, id: readableId(raw), reason: `invalid ${where}: ${issue.message}` };
}

function readableId(raw: unknown): string | undefined {
  if (typeof raw !== "object" || raw === null) return undefined;
  const id = (raw as Record<string, unknown>).id;
  return typeof id === "string" && id.length > 0 && id.length <= MAX_ID_LENGTH ? id : undefined;
}
