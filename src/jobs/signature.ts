/**
 * Optional job signing: `sig` is the hex HMAC-SHA256 of `id\ntimestamp\nmeta.type\nmeta.msg`
 * under `job_secret`. Without it, anyone who can publish on the broker runs commands.
 */
import type { Job } from "./job.ts";

/** What is signed: a signed job always carries its timestamp. */
export type SignedFields = Pick<Job, "id" | "meta"> & { timestamp: number };

/** The signed text; an absent `meta.type` signs as the empty string. */
export function signedText(job: SignedFields): string {
  return `${job.id}\n${job.timestamp}\n${job.meta.type ?? ""}\n${job.meta.msg}`;
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

/** The hex signature of a job (what a back end computes; tests use it too). */
export async function signJob(
  job: SignedFields,
  secret: string,
): Promise<string> {
  return [...await hmac(secret, signedText(job))].map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}

/**
 * Why a job fails the signing rules, or undefined when it passes. A timestamp too far in
 * the future is refused like an old one: a skewed or forged clock must not stretch the
 * window a captured job can be replayed in.
 */
export async function checkSignature(
  job: Job,
  secret: string,
  nowSeconds: number,
  maxAgeSeconds: number,
): Promise<"bad signature" | "too old" | undefined> {
  if (job.timestamp === undefined) return "bad signature";
  const signed = { ...job, timestamp: job.timestamp };
  const given = fromHex(job.sig ?? "");
  const expected = await hmac(secret, signedText(signed));
  if (!given || !constantTimeEqual(given, expected)) return "bad signature";
  if (Math.abs(nowSeconds - signed.timestamp) > maxAgeSeconds) return "too old";
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
