import { assertEquals } from "../../tests/support/assert.ts";
import type { CapabilityName, RestartKey } from "../capability.ts";
import { planReload, type ReloadFacts } from "./reload_plan.ts";
import { CAPABILITIES } from "./wiring.ts";

/** The real capabilities, in start order, with what they read once and use. */
function facts(
  moved: Partial<Record<CapabilityName, Partial<Pick<ReloadFacts, "needs" | "off">>>> = {},
): ReloadFacts[] {
  return CAPABILITIES.map(({ spec }) => ({
    name: spec.name,
    restartOn: spec.restartOn,
    uses: spec.uses,
    needs: ["same", "same"],
    off: [undefined, undefined],
    ...moved[spec.name],
  }));
}

const plan = (changed: RestartKey[], moved?: Parameters<typeof facts>[0]) =>
  planReload(facts(moved), new Set(changed));

const cases: [string, RestartKey[], Parameters<typeof facts>[0], CapabilityName[]][] = [
  ["nothing changed", [], {}, []],
  ["a key read as it goes restarts nothing", ["monitor"], {}, []],
  ["the cache dir restarts the spool and the uplink that reads it", ["cache_dir"], {}, [
    "spool",
    "uplink",
  ]],
  ["state_dir restarts everyone keeping state there", ["state_dir"], {}, [
    "replies",
    "upgrade",
    "jobs",
    "desired",
  ]],
  ["the broker restarts MQTT and the health probe aimed at it", ["mqtt_host"], {}, [
    "health",
    "mqtt",
  ]],
  ["new permissions restart the one that needs them", [], { collect: { needs: ["a", "b"] } }, [
    "collect",
  ]],
  ["going off restarts it", [], { upgrade: { off: [undefined, "upgrade.enabled is false"] } }, [
    "upgrade",
  ]],
  ["coming back on restarts it", [], { spool: { off: ["no-cache", undefined] } }, [
    "spool",
    "uplink",
  ]],
  ["another reason to be off is a change too", [], { mqtt: { off: ["a", "b"] } }, ["mqtt"]],
  ["the same reason is no change", [], { mqtt: { off: ["a", "a"] } }, []],
];

for (const [name, changed, moved, expected] of cases) {
  Deno.test(`reload plan: ${name}`, () => {
    assertEquals(plan(changed, moved), expected);
  });
}

Deno.test("reload plan: a chain of users restarts in start order", () => {
  const chain: ReloadFacts[] = ["a", "b", "c"].map((name, i, all) => ({
    name: name as CapabilityName,
    restartOn: i === 0 ? ["cache_dir"] : [],
    uses: i === 0 ? [] : [all[i - 1] as CapabilityName],
    needs: ["x", "x"],
    off: [undefined, undefined],
  }));
  assertEquals(planReload(chain, new Set(["cache_dir"])), ["a", "b", "c"]);
  assertEquals(planReload(chain.slice(1), new Set(["cache_dir"])), []);
});
