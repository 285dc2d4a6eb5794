/**
 * Optional signing of jobs and desired states: `sig` is the hex HMAC-SHA256, under
 * `job_secret`, of the message's canonical JSON (the whole object without `sig`, keys
 * sorted at every level, no whitespace), so every field is covered and no text can move
 * from one field to another. Without signing, anyone who can publish on the broker runs
 * commands. A fleet shares one secret, so the message names its box in `to` (the MAC of its
 * topics): one signed for box A is refused by box B.
 *
 * The first scheme signed `id\ntimestamp\nmeta.type\nmeta.msg`: a newline moves text
 * between `type` and `msg` under the same signature, and `timeout` and `expires` were not
 * covered. It is accepted only with `job_sig_legacy: true`.
 */

/** Which signatures are accepted: the canonical one, or also the legacy one. */
export type SignatureSchemes = "canonical" | "canonical+legacy";

/** A job as it arrived (the parsed JSON object, unknown fields included). */
export type RawJob = Record<string, unknown>;

/** Python's `sort_keys` order: by code point, not by UTF-16 unit. */
function byCodePoint(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const diff = x[i].codePointAt(0)! - y[i].codePointAt(0)!;
    if (diff !== 0) return diff;
  }
  return x.length - y.length;
}

/**
 * JSON with keys sorted at every level and no whitespace: what
 * `json.dumps(v, sort_keys=True, separators=(",", ":"), ensure_ascii=False)` gives for the
 * strings, integers, booleans, arrays and objects jobs carry.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * deepEqual(
 *   canonicalJson({ meta: { type: "command", msg: "uptime" }, id: "j1" }),
 *   '{"id":"j1","meta":{"msg":"uptime","type":"command"}}',
 * );
 * ```
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.keys(value).sort(byCodePoint)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as RawJob)[key])}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

/** The canonical signed text: the job without its `sig`. */
export function signedText(job: RawJob): string {
  const { sig: _, ...unsigned } = job;
  return canonicalJson(unsigned);
}

/** The legacy signed text (`job_sig_legacy`); an absent `meta.type` signs as "". */
export function legacySignedText(job: RawJob): string {
  const meta = (job.meta ?? {}) as RawJob;
  return `${job.id}\n${job.timestamp}\n${meta.type ?? ""}\n${meta.msg}`;
}

async function hmac(secret: string, text: string): Promise<Uint8Array> {
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secret),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  return new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(text)));
}

const toHex = (bytes: Uint8Array) =>
  [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");

/**
 * The hex signature of a job, as a back end computes it (tests use it too).
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * const job = { id: "j1", timestamp: 1700000000, meta: { msg: "uptime" } };
 * const signed = { ...job, sig: await signJob(job, "a-secret-of-16-chars") };
 * deepEqual(signed.sig.length, 64);
 * ```
 */
export async function signJob(job: RawJob, secret: string): Promise<string> {
  return toHex(await hmac(secret, signedText(job)));
}

/** The legacy signature, for back ends that still sign `id\ntimestamp\ntype\nmsg`. */
export async function signJobLegacy(job: RawJob, secret: string): Promise<string> {
  return toHex(await hmac(secret, legacySignedText(job)));
}

/** Why a message fails the signing rules. */
export type SignatureRefusal = "bad signature" | "too old" | "not for this box";

/**
 * Why a job fails the signing rules, or undefined when it passes. A timestamp too far in
 * the future is refused like an old one: a skewed or forged clock must not stretch the
 * window a captured job can be replayed in. With `box`, a canonically signed message must
 * name it in `to` (compared without case); the legacy text has no room for it.
 */
export async function checkSignature(
  job: RawJob,
  secret: string,
  nowSeconds: number,
  maxAgeSeconds: number,
  schemes: SignatureSchemes = "canonical",
  box?: string,
): Promise<SignatureRefusal | undefined> {
  const timestamp = job.timestamp;
  if (typeof timestamp !== "number") return "bad signature";
  const given = fromHex(typeof job.sig === "string" ? job.sig : "");
  if (!given) return "bad signature";
  const texts = schemes === "canonical" ? [signedText(job)] : [
    signedText(job),
    legacySignedText(job),
  ];
  const valid = [];
  for (const text of texts) valid.push(constantTimeEqual(given, await hmac(secret, text)));
  if (!valid.includes(true)) return "bad signature";
  if (Math.abs(nowSeconds - timestamp) > maxAgeSeconds) return "too old";
  const canonical = valid[0];
  if (box !== undefined && canonical) {
    const to = typeof job.to === "string" ? job.to.toLowerCase() : undefined;
    if (to !== box.toLowerCase()) return "not for this box";
  }
  return undefined;
}

function fromHex(hex: string): Uint8Array | undefined {
  if (!/^(?:[0-9a-fA-F]{2})+$/.test(hex)) return undefined;
  return Uint8Array.from(hex.match(/../g)!, (pair) => parseInt(pair, 16));
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}
