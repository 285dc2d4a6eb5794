import { assertEquals } from "../../tests/support/assert.ts";
import { DEFAULT_LADDER, type LadderProgress, NO_PROGRESS, RecoveryLadder } from "./ladder.ts";

const S = 1000;

/** Every step an outage starting at 0 takes until `untilS`, as "kind@seconds". */
function climb(ladder: RecoveryLadder, agentStart: number, untilS: number): string[] {
  const steps: string[] = [];
  let progress: LadderProgress = NO_PROGRESS;
  for (let step = ladder.next(progress, 0, agentStart); step.at <= untilS * S;) {
    steps.push(`${step.kind}@${step.at / S}`);
    progress = ladder.taken(progress, step);
    step = ladder.next(progress, 0, agentStart);
  }
  return steps;
}

const longAgo = -3600 * S;

Deno.test("ladder: restarts at 120, 240, 480 s and reboots at 600 s", () => {
  const ladder = new RecoveryLadder({ ...DEFAULT_LADDER, rebootS: 600 });
  assertEquals(climb(ladder, longAgo, 600), [
    "restart@120",
    "restart@240",
    "restart@480",
    "reboot@600",
  ]);
});

Deno.test("ladder: the restart gap is capped at reboot/2, and a failed reboot is retried", () => {
  const ladder = new RecoveryLadder({ ...DEFAULT_LADDER, rebootS: 600 });
  assertEquals(climb(ladder, longAgo, 1300), [
    "restart@120",
    "restart@240",
    "restart@480",
    "reboot@600",
    "restart@780",
    "restart@1080",
    "reboot@1200",
  ]);
});

Deno.test("ladder: no reboot within 15 minutes of the agent's start", () => {
  const ladder = new RecoveryLadder({ ...DEFAULT_LADDER, rebootS: 600 });
  assertEquals(climb(ladder, 0, 900), [
    "restart@120",
    "restart@240",
    "restart@480",
    "restart@780",
    "reboot@900",
  ]);
});

Deno.test("ladder: reboot 0 never reboots, restarts keep doubling up to an hour", () => {
  const ladder = new RecoveryLadder({ ...DEFAULT_LADDER, rebootS: 0 });
  assertEquals(climb(ladder, longAgo, 6 * 3600), [
    "restart@120",
    "restart@240",
    "restart@480",
    "restart@960",
    "restart@1920",
    "restart@3840",
    "restart@7440",
    "restart@11040",
    "restart@14640",
    "restart@18240",
  ]);
});

Deno.test("ladder: reboots held back by the start grace do not pile up when it ends", () => {
  const ladder = new RecoveryLadder({ ...DEFAULT_LADDER, rebootS: 300 });
  assertEquals(climb(ladder, 0, 1200).filter((s) => s.startsWith("reboot")), [
    "reboot@900",
    "reboot@1200",
  ]);
});
