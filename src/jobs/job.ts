/**
 * The job as it arrives on `sub/...`: SocketMan's `{id, timestamp, meta: {msg, type}}` plus
 * our optional `timeout`, `expires` and `sig`. Parsing is pure: bytes in, a job or the
 * reason it was refused out. Every reason names the field and what it must be.
 */
import * as z from "zod/mini";
import type { RawJob } from "../signing/mod.ts";

export const MAX_ID_LENGTH = 128;
export const MAX_MSG_BYTES = 64 * 1024;
/** Beyond this, a payload is not even decoded: a job is a 64 KiB command and a few fields. */
export const MAX_PAYLOAD_BYTES = MAX_MSG_BYTES * 2 + 4096;
/** Objects and arrays nested deeper than this are refused (the signature walks them). */
export const MAX_DEPTH = 16;

const seconds = z.number({ error: "must be a number of seconds" }).check(
  z.nonnegative("must be a number of seconds ≥ 0"),
);

/** Each UTF-16 unit is at most 3 UTF-8 bytes: a shorter command needs no encoding to check. */
const SURELY_SHORT = MAX_MSG_BYTES / 3;
const decoder = new TextDecoder("utf-8", { fatal: true });

const ID_RULE = `must be a string of 1 to ${MAX_ID_LENGTH} characters`;

export const jobIdSchema = z.string({ error: ID_RULE }).check(
  z.minLength(1, ID_RULE),
  z.maxLength(MAX_ID_LENGTH, ID_RULE),
);

/** A job that parsed (its bounds are the schema's). */
export interface Job {
  /** Its id: a second job with it is a duplicate. */
  id: string;
  /** Unix seconds it was sent at (needed when jobs are signed). */
  timestamp?: number;
  /** What to run. */
  meta: {
    /** The command (or the type's argument, e.g. a sysupgrade's JSON). */
    msg: string;
    /** Its type: `command` when absent. */
    type?: string;
  };
  /** Seconds it may run. */
  timeout?: number;
  /** Unix seconds after which it must not start. */
  expires?: number;
  /** HMAC-SHA256 over the job, hex. */
  sig?: string;
}

export const jobSchema: z.ZodMiniType<Job> = z.object({
  id: jobIdSchema,
  // Only `id` and `meta.msg` are required (spec): a back end that leaves `timestamp` out
  // keeps working, unless jobs must be signed, which needs it.
  timestamp: z.optional(seconds),
  meta: z.object({
    msg: z.string({ error: "must be a string (the command)" }).check(
      z.refine(
        (msg) =>
          msg.length <= SURELY_SHORT || new TextEncoder().encode(msg).length <= MAX_MSG_BYTES,
        {
          error: `must be at most ${MAX_MSG_BYTES} bytes`,
        },
      ),
    ),
    type: z.optional(
      z.string({ error: "must be a string" }).check(
        z.maxLength(64, "must be at most 64 characters"),
      ),
    ),
  }, { error: "must be an object with msg" }),
  timeout: z.optional(
    z.number({ error: "must be a number of seconds" }).check(
      z.positive("must be more than 0 seconds"),
      z.lte(86_400, "must be at most 86400 seconds"),
    ),
  ),
  expires: z.optional(seconds),
  sig: z.optional(
    z.string({ error: "must be a hex string" }).check(z.maxLength(128, "must be a hex string")),
  ),
});

export type ParsedJob = { ok: true; job: Job; raw: RawJob } | {
  ok: false;
  /** The id, when one could be read: the refusal can then be answered. */
  id?: string;
  /** A JSON object without a usable id: answered under a generated one (SocketMan's `sm_`). */
  anonymous?: boolean;
  reason: string;
};

/**
 * SocketMan's looser types, as they parse: a numeric id is its decimal string, a timestamp
 * of digits its number, a numeric command its decimal string (SocketMan ran `42`). The raw
 * job is left as sent: a signature covers what the back end signed.
 */
function loosened(raw: RawJob): RawJob {
  const job: RawJob = { ...raw };
  if (typeof job.id === "number" && Number.isSafeInteger(job.id)) job.id = String(job.id);
  if (typeof job.timestamp === "string" && /^\d{1,15}$/.test(job.timestamp)) {
    job.timestamp = Number(job.timestamp);
  }
  const meta = job.meta as Record<string, unknown> | undefined;
  if (typeof meta === "object" && meta !== null && typeof meta.msg === "number") {
    job.meta = { ...meta, msg: String(meta.msg) };
  }
  return job;
}

/** Decodes and validates one payload; never throws. */
export function parseJob(payload: Uint8Array): ParsedJob {
  if (payload.length > MAX_PAYLOAD_BYTES) {
    return { ok: false, reason: `payload larger than ${MAX_PAYLOAD_BYTES} bytes` };
  }
  let text: string;
  try {
    text = decoder.decode(payload);
  } catch {
    return { ok: false, reason: "payload is not UTF-8" };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, reason: "payload is not JSON" };
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    return { ok: false, reason: "payload is not a JSON object" };
  }
  const job = loosened(raw as RawJob);
  const id = jobIdSchema.safeParse(job.id).success ? job.id as string : undefined;
  const refused = (reason: string): ParsedJob => ({ ok: false, id, anonymous: !id, reason });
  if (depthOf(raw) > MAX_DEPTH) return refused(`payload nested deeper than ${MAX_DEPTH} levels`);
  const parsed = jobSchema.safeParse(job);
  if (parsed.success) return { ok: true, job: parsed.data, raw: raw as RawJob };
  const issue = parsed.error.issues[0];
  const where = issue.path.length > 0 ? issue.path.join(".") : "job";
  return refused(`invalid ${where}: ${issue.message}`);
}

/** How deep objects and arrays nest (a scalar is 0), without recursion. */
function depthOf(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (typeof node !== "object" || node === null) continue;
    deepest = Math.max(deepest, depth);
    if (depth > MAX_DEPTH) return depth;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return deepest;
}
