/**
 * The uniform shape of a stats source (Telegraf's inputs): a name, the permissions it
 * needs, and one read that returns its part of the sample. The scheduler applies deadline,
 * permission check, error counting and "log once" to all of them alike.
 */
import type { Exec } from "../io/mod.ts";
import type { SourceFs } from "../io/mod.ts";
import type { Parsed } from "../linux/mod.ts";
import type { Device, DhcpLease, NetInterface, SurveyEntry, Wireless } from "./sample.ts";

/** The part of the Deno namespace the sources use; `Deno` itself in the agent. */
export type SystemInfo = Pick<
  typeof Deno,
  "networkInterfaces" | "osUptime" | "loadavg" | "systemMemoryInfo"
>;

export interface SourceNeeds {
  read?: string[];
  run?: string[];
  sys?: Deno.SysPermissionDescriptor["kind"][];
}

export interface SourceContext {
  /** Bounded reads: every one capped in size and stopped at the source's deadline. */
  fs: SourceFs;
  exec: Exec;
  /** Aborted when the source's deadline passes or the collector stops. */
  signal: AbortSignal;
  /** The time left for a program this source runs. */
  deadlineMs: number;
  /** The OS as Deno reports it (--allow-sys): addresses, and device stats without /proc. */
  system: SystemInfo;
  /** Whether this process holds a permission (a source prefers what costs no program). */
  granted(descriptor: Deno.PermissionDescriptor): boolean;
  /** Counts the malformed lines a parser skipped. */
  skipped(count: number): void;
}

/** A source's contribution; the sample is assembled from all of them. */
export interface Part {
  device?: Device;
  interfaces?: NetInterface[];
  /** Interface name → its addresses (CIDR) and MAC, as the OS reports them. */
  links?: Map<string, Link>;
  wireless?: Wireless;
  survey?: SurveyEntry[];
  dhcp?: DhcpLease[];
  /** What is missing from this part and why (it is reported in the sample's `errors`). */
  degraded?: string;
}

export interface Link {
  addresses: string[];
  mac?: string;
}

export interface Source {
  readonly name: string;
  /** What it cannot be read without: missing, the source is left out with one log line. */
  readonly needs: SourceNeeds;
  /** What else it uses when granted (a fallback, a program); the preset grants it too. */
  readonly uses?: SourceNeeds;
  read(ctx: SourceContext): Promise<Part>;
}

/** Thrown when nothing this source could use is present (no tool, no file): logged once. */
export class SourceUnavailable extends Error {}

/** Counts what a parser skipped and returns what it read. */
export function take<T>(ctx: SourceContext, parsed: Parsed<T>): T {
  if (parsed.skipped > 0) ctx.skipped(parsed.skipped);
  return parsed.value;
}
