/**
 * A `sysupgrade` job's `meta`: where the image is, its SHA-256, and how to flash it. Pure:
 * the job's raw `meta` in, the request or the reason it was refused out.
 */
import * as z from "zod/mini";
import type { Result } from "../result.ts";
import { type FlashWindow, parseWindow } from "./window.ts";

/** The job type that upgrades the firmware. */
export const UPGRADE_TYPE = "sysupgrade";

/** Download, test and flash must be done within this by default (seconds). */
const DEFAULT_UPGRADE_TIMEOUT_S = 1800;

/** Longer URLs are refused: the journal that holds one is read back whole after a crash. */
export const MAX_URL_LENGTH = 2048;

const metaSchema = z.object({
  url: z.string({ error: "must be the image's https:// or http:// URL" }).check(
    z.maxLength(MAX_URL_LENGTH, `must be at most ${MAX_URL_LENGTH} characters`),
    z.refine((url) => URL.canParse(url) && /^https?:$/.test(new URL(url).protocol), {
      error: "must be the image's https:// or http:// URL",
    }),
  ),
  // Required, also over https: it is what proves the image is the one the back end meant.
  sha256: z.string({ error: "is required: the image's SHA-256 as 64 hex digits" }).check(
    z.regex(/^[0-9a-fA-F]{64}$/, "must be the image's SHA-256 as 64 hex digits"),
  ),
  version: z.optional(
    z.string({ error: "must be a string (the firmware expected after)" }).check(
      z.minLength(1, "must not be empty"),
      z.maxLength(128, "must be at most 128 characters"),
    ),
  ),
  keep: z.optional(z.boolean({ error: "must be true (keep settings) or false" })),
  window: z.optional(z.string({ error: 'must be a string such as "02:00-05:00"' })),
  timeout: z.optional(
    z.number({ error: "must be a number of seconds" }).check(
      z.positive("must be more than 0 seconds"),
      z.lte(86_400, "must be at most 86400 seconds"),
    ),
  ),
});

/** A firmware upgrade as the job asked for it. */
export interface UpgradeRequest {
  /** Where the image is. */
  url: string;
  /** Lowercase hex. */
  sha256: string;
  /** The firmware expected after the reboot, when the back end says. */
  version?: string;
  /** Keep the settings (`sysupgrade` without `-n`). */
  keep: boolean;
  /** When to download and flash: local minutes after midnight. */
  window?: FlashWindow;
  /** The raw window text, for people. */
  windowText?: string;
  /** Seconds the download and the image test may take. */
  timeoutS: number;
}

/** Reads a `sysupgrade` job's `meta`; never throws. */
export function parseUpgradeRequest(meta: unknown): Result<UpgradeRequest> {
  const parsed = metaSchema.safeParse(meta);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, reason: `invalid meta.${issue.path.join(".")}: ${issue.message}` };
  }
  const { url, sha256, version, keep, window: windowText, timeout } = parsed.data;
  const window = windowText === undefined ? undefined : parseWindow(windowText);
  if (typeof window === "string") return { ok: false, reason: `invalid meta.window: ${window}` };
  const request: UpgradeRequest = {
    url,
    sha256: sha256.toLowerCase(),
    ...(version === undefined ? {} : { version }),
    keep: keep ?? true,
    ...(window ? { window, windowText } : {}),
    timeoutS: timeout ?? DEFAULT_UPGRADE_TIMEOUT_S,
  };
  return { ok: true, value: request };
}
