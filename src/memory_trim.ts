/**
 * Giving freed memory back in idle moments. Spawns, reads and uploads leave garbage in V8's
 * heap and free lists in glibc's that a router without swap keeps paying for. With
 * `DENO_USR2_MEMORY_TRIM` set, Deno answers SIGUSR2 with `malloc_trim(0)` and a low-memory
 * GC; a second signal trims what that GC freed. Without the variable SIGUSR2 would kill the
 * process, so the agent signals itself only when it is set (the packages set it).
 *
 * When: once the agent has been quiet for a check period (no counter moved) after doing
 * something, at most once per `minGapMs` (a trim pair costs 0.1–0.2 s of CPU here); after
 * `maxGapMs` of work without a quiet moment, anyway.
 */
import type { Clock } from "./io/mod.ts";
import type { Logger } from "./log/mod.ts";

export const TRIM_ENV = "DENO_USR2_MEMORY_TRIM";
export const TRIM_COUNTERS = ["memory-trims"] as const;

/** How often the agent looks, and how far apart trims are. */
export interface TrimPolicy {
  /** A check period without events is a quiet moment. */
  checkMs: number;
  /** Trims are at least this far apart. */
  minGapMs: number;
  /** With work done and no quiet moment for this long, trim anyway. */
  maxGapMs: number;
  /** Between the two signals: the first one's GC runs on the main thread meanwhile. */
  settleMs: number;
}

export const DEFAULT_TRIM_POLICY: TrimPolicy = {
  checkMs: 2_000,
  minGapMs: 60_000,
  maxGapMs: 300_000,
  settleMs: 100,
};

/** What the decision remembers between checks. */
export interface TrimState {
  /** Events at the previous check. */
  seen: number;
  /** Events and monotonic ms at the last trim (or as if one came before the start). */
  last: { events: number; ms: number };
}

/**
 * Whether to trim now: something happened since the last trim (there is garbage), that trim
 * is `minGapMs` old, and nothing happened since the previous check (quiet) or it is
 * `maxGapMs` old.
 */
export function trimDue(
  state: TrimState,
  events: number,
  now: number,
  policy: TrimPolicy,
): boolean {
  const worked = events !== state.last.events;
  const age = now - state.last.ms;
  const quiet = events === state.seen;
  return worked && age >= policy.minGapMs && (quiet || age >= policy.maxGapMs);
}

/** What the trimmer needs; the signal is injected so that tests count it. */
export interface TrimDeps {
  clock: Clock;
  log: Logger;
  /** Moves whenever the agent does something. */
  events: () => number;
  /** Sends SIGUSR2 to this process. */
  signal: () => void;
  /** Counts each trim. */
  counted: () => void;
  policy?: TrimPolicy;
}

/**
 * Whether this process may signal itself for a trim: `on`, or why not (the variable is not
 * set, or this process may not read it: the preset grants it).
 */
export function trimMode(): { on: true } | { on: false; reason: string } {
  const allowed = Deno.permissions.querySync({ name: "env", variable: TRIM_ENV }).state;
  if (allowed !== "granted") return { on: false, reason: `no --allow-env=${TRIM_ENV}` };
  return Deno.env.get(TRIM_ENV) === undefined
    ? { on: false, reason: `${TRIM_ENV} is not set` }
    : { on: true };
}

/** Runs the idle-trim loop until `signal` aborts. */
export async function trimWhenIdle(deps: TrimDeps, stop: AbortSignal): Promise<void> {
  const policy = deps.policy ?? DEFAULT_TRIM_POLICY;
  const start = { events: deps.events(), ms: deps.clock.monotonic() - policy.minGapMs };
  // The first trim may come at the first quiet moment: start-up leaves the most garbage.
  const state: TrimState = { seen: start.events, last: { ...start, events: start.events - 1 } };
  try {
    while (!stop.aborted) {
      await deps.clock.sleep(policy.checkMs, stop);
      const events = deps.events();
      const now = deps.clock.monotonic();
      if (trimDue(state, events, now, policy)) {
        deps.signal();
        await deps.clock.sleep(policy.settleMs, stop);
        deps.signal();
        deps.counted();
        deps.log.debug("memory trimmed");
        // The trim's own counter moved: count it in, or it would look like work.
        state.last = { events: deps.events(), ms: now };
      }
      state.seen = deps.events();
    }
  } catch (error) {
    if (!stop.aborted) throw error;
  }
}
