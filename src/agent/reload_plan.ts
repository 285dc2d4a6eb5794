/**
 * What a reload restarts: pure. A capability restarts when a key it reads once changed,
 * when it needs other permissions now, when it goes on or off, or when one it uses
 * restarts; the others read the new values as they go.
 */
import type { CapabilityName, RestartKey } from "../capability.ts";

/** What a reload knows of one capability, before and after. */
export interface ReloadFacts {
  /** Which one. */
  name: CapabilityName;
  /** The keys it reads once, at start. */
  restartOn: readonly RestartKey[];
  /** The capabilities whose restart restarts it too. */
  uses?: readonly CapabilityName[];
  /** Its permissions (as comparable text) before and after. */
  needs: [string, string];
  /** Why it was off, and why it is off now (undefined: on). */
  off: [string | undefined, string | undefined];
}

/**
 * The capabilities to restart, in the order of `facts` (start order).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const facts = [
 *   { name: "spool" as const, restartOn: ["cache_dir" as const], needs: ["a", "a"] as [string, string], off: [undefined, undefined] as [undefined, undefined] },
 *   { name: "uplink" as const, restartOn: [], uses: ["spool" as const], needs: ["b", "b"] as [string, string], off: [undefined, undefined] as [undefined, undefined] },
 * ];
 * assert.deepEqual(planReload(facts, new Set(["cache_dir"])), ["spool", "uplink"]);
 * assert.deepEqual(planReload(facts, new Set(["monitor"])), []);
 * ```
 */
export function planReload(
  facts: readonly ReloadFacts[],
  changed: ReadonlySet<RestartKey>,
): CapabilityName[] {
  const touched = new Set<CapabilityName>();
  for (const fact of facts) {
    const moved = fact.restartOn.some((key) => changed.has(key)) ||
      fact.needs[0] !== fact.needs[1] || fact.off[0] !== fact.off[1];
    if (moved) touched.add(fact.name);
  }
  for (const fact of facts) {
    if (fact.uses?.some((name) => touched.has(name))) touched.add(fact.name);
  }
  return facts.filter((fact) => touched.has(fact.name)).map((fact) => fact.name);
}
