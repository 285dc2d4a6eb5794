/**
 * What the desired-state capability keeps in `state_dir/desired.json`, rewritten atomically
 * (fsync, rename) before each step: the version handled last, the last applied state with
 * its backup (for `ledge ctl rollback`), the one in its confirm window (a crash there rolls
 * it back at the next start), and the report until the broker has it.
 */
import * as z from "zod/mini";
import { type Fs, readJsonFile, writeFileAtomic } from "../io/mod.ts";
import type { Desired } from "./desired.ts";
import type { UciValue } from "../openwrt/mod.ts";

/** What a change replaced: the config file's keys (null: absent) and the UCI options. */
export interface Backup {
  /** Each key the state names, as the config file had it; null when it was not set. */
  ledge: Record<string, unknown>;
  /** Each UCI option the state names, as it was (a list as a list); null when it was not set. */
  uci: Record<string, UciValue | null>;
}

/** The retained report on `state/...`. */
export interface Report {
  /** The desired version it answers. */
  version: number;
  /** What became of it. */
  status: "applied" | "rolled_back" | "rejected";
  /** Why, for anything but applied. */
  reason?: string;
  /** The version in effect after this outcome (0: none was ever applied). */
  applied: number;
  /**
   * The current value of every key and UCI option the desired state names, secrets as
   * `***`; empty for a rejected state (nothing of the box is shown for what was refused).
   */
  reported: { ledge?: Record<string, unknown>; uci?: Record<string, UciValue | null> };
  /** Unix seconds. */
  timestamp: number;
}

/** A state applied or being confirmed, with what it replaced. */
export interface Change {
  /** The state. */
  desired: Desired;
  /** What it replaced. */
  backup: Backup;
}

/** The capability's file. */
export interface DesiredFile {
  /** A version not above it is not applied again. */
  handled: number;
  /** The state applied and confirmed last. */
  applied?: Change;
  /** The state in its confirm window (MQTT was up before it: it must be back). */
  pending?: Change & { mqttWasUp: boolean };
  /** The last report, and whether the broker has it. */
  report?: Report & { sent: boolean };
}

const values = z.record(z.string(), z.unknown());
const uciValues = z.record(z.string(), z.nullable(z.union([z.string(), z.array(z.string())])));
const change = z.object({
  desired: z.object({ version: z.number(), ledge: values, uci: uciValues }),
  backup: z.object({ ledge: values, uci: uciValues }),
});
const fileSchema: z.ZodMiniType<DesiredFile> = z.object({
  handled: z.number(),
  applied: z.optional(change),
  pending: z.optional(z.extend(change, { mqttWasUp: z.boolean() })),
  report: z.optional(z.object({
    version: z.number(),
    status: z.enum(["applied", "rolled_back", "rejected"]),
    reason: z.optional(z.string()),
    applied: z._default(z.number(), 0),
    reported: z.object({ ledge: z.optional(values), uci: z.optional(uciValues) }),
    timestamp: z.number(),
    sent: z.boolean(),
  })),
});

/** The file in `stateDir`. */
export const desiredFilePath = (stateDir: string): string => `${stateDir}/desired.json`;

/** Writes it durably. */
export async function saveDesired(path: string, file: DesiredFile, fs: Fs): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(file) + "\n", 0o600, fs);
}

/** The file on disk; a fresh one when there is none; an error naming what is wrong. */
export async function loadDesired(path: string, fs: Fs): Promise<DesiredFile> {
  return await readJsonFile(path, fileSchema, fs) ?? { handled: 0 };
}
