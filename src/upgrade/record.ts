/**
 * The upgrade journal: one JSON file in `state_dir`, rewritten atomically (fsync, rename)
 * at every step, so that after a crash or the reboot the agent knows where the upgrade
 * stood and answers it exactly once. /lib/upgrade/keep.d keeps `state_dir` across the flash.
 */
import * as z from "zod/mini";
import { type Fs, readJsonFile, writeFileAtomic } from "../io/mod.ts";
import type { ReplyRoute } from "../replies/mod.ts";
// The schema alone, from its module: zod's types stay out of the replies' public API.
import { routeSchema } from "../replies/route.ts";

/** Where an upgrade stands; `done` once its final answer is decided. */
export type UpgradeStep =
  | "waiting"
  | "downloading"
  | "testing"
  | "verified"
  | "flashing"
  | "done";

const STEPS = ["waiting", "downloading", "testing", "verified", "flashing", "done"] as const;

/**
 * The journal's largest size: what is written is read back whole. Every field is bounded
 * (the job's id, the URL, sysupgrade's output), so a record stays far below it.
 */
const MAX_RECORD_BYTES = 64 * 1024;

const recordSchema: z.ZodMiniType<UpgradeRecord> = z.object({
  id: z.string(),
  image: z.string(),
  sha256: z.string(),
  keep: z.boolean(),
  before: z.string(),
  expected: z.optional(z.string()),
  window: z.optional(z.string()),
  step: z.enum(STEPS),
  since: z.number(),
  accepted: z.number(),
  flash_at: z.optional(z.number()),
  boot: z.optional(z.string()),
  bytes: z.optional(z.number()),
  total: z.optional(z.number()),
  result: z.optional(z.object({
    event_type: z.enum(["PROCESSED", "FAILED", "CANCELLED"]),
    reason: z.string(),
    after: z.optional(z.string()),
  })),
  sent: z.optional(z.boolean()),
  route: z.optional(routeSchema),
});

/** One upgrade as the journal holds it. */
export interface UpgradeRecord {
  /** The job's id. */
  id: string;
  /** The image URL without credentials or query (it is shown). */
  image: string;
  /** The image's SHA-256, lowercase hex. */
  sha256: string;
  /** Settings kept (`sysupgrade` without `-n`). */
  keep: boolean;
  /** The firmware before, as `release revision`. */
  before: string;
  /** The firmware the job expects after. */
  expected?: string;
  /** The job's window, as it wrote it. */
  window?: string;
  /** Where the upgrade stands. */
  step: UpgradeStep;
  /** Wall-clock seconds of this step's start. */
  since: number;
  /** Wall-clock seconds of the job's acceptance. */
  accepted: number;
  /** When it downloads and flashes, while it waits for its window (wall-clock seconds). */
  flash_at?: number;
  /** The kernel's boot id when sysupgrade was started: an agent with the same one has not rebooted. */
  boot?: string;
  /** Bytes downloaded so far. */
  bytes?: number;
  /** The image's size, when the server said. */
  total?: number;
  /** The final answer: decided once, sent until `sent`. */
  result?: UpgradeResult;
  /** Whether the final answer went to the reply channel. */
  sent?: boolean;
  /** MQTT 5: where else its replies go (the job's response topic), and what they carry. */
  route?: ReplyRoute;
}

/** An upgrade's final answer. */
export interface UpgradeResult {
  /** PROCESSED, FAILED or CANCELLED. */
  event_type: "PROCESSED" | "FAILED" | "CANCELLED";
  /** Why, for people. */
  reason: string;
  /** The firmware after the reboot. */
  after?: string;
}

/** The journal file in `stateDir`. */
export const upgradeJournalPath = (stateDir: string): string => `${stateDir}/upgrade.json`;

/** Writes the record durably (the old or the new one survives a crash, never a torn one). */
export async function saveUpgrade(path: string, record: UpgradeRecord, fs: Fs): Promise<void> {
  const text = JSON.stringify(record) + "\n";
  if (new TextEncoder().encode(text).length > MAX_RECORD_BYTES) {
    throw new Error(`upgrade record larger than ${MAX_RECORD_BYTES} bytes: not written`);
  }
  await writeFileAtomic(path, text, 0o600, fs);
}

/** The record on disk; undefined when there is none; an error naming what is wrong. */
export async function loadUpgrade(path: string, fs: Fs): Promise<UpgradeRecord | undefined> {
  return await readJsonFile(path, recordSchema, fs, MAX_RECORD_BYTES);
}
