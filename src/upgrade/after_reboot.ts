/**
 * The answer an upgrade gets from the agent that finds it at FLASHING: after the reboot,
 * whether the flash took and the box is online; in the same boot (a respawn while sysupgrade
 * runs), nothing until the reboot ends it.
 */
import type { Clock } from "../io/mod.ts";
import type { Logger } from "../log/mod.ts";
import { type Firmware, firmwareLabel, verdictOf } from "./firmware.ts";
import type { UpgradeRecord, UpgradeResult } from "./record.ts";

/** After the reboot, how long the agent waits to be online before it answers FAILED. */
const ONLINE_WAIT_MS = 10 * 60_000;
/**
 * An agent that finds the flash started in this same boot (it crashed and was respawned
 * while sysupgrade ran) waits this long for the reboot, which ends it: the agent after the
 * reboot answers. Still here after that, the flash did not happen.
 */
const REBOOT_WAIT_MS = 15 * 60_000;

/** What the judge asks of the box. */
export interface AfterReboot {
  /** The firmware running now. */
  firmware(): Promise<Firmware>;
  /** This boot's id. */
  bootId(): Promise<string | undefined>;
  /** Whether the health checks say online now. */
  online(): Promise<boolean>;
  clock: Clock;
  /** Ends the waits (the agent stops): the answer is then left to the next agent. */
  signal: AbortSignal;
  /** Between online checks (default 5 s). */
  pollMs?: number;
  log: Logger;
}

/** The final answer of the upgrade `record` left at FLASHING; rejects when stopped first. */
export async function judgeFlash(record: UpgradeRecord, box: AfterReboot): Promise<UpgradeResult> {
  const { clock, signal } = box;
  if (record.boot && record.boot === await box.bootId()) {
    box.log.warn("restarted while sysupgrade may still run: waiting for the reboot", {
      id: record.id,
    });
    await clock.sleep(REBOOT_WAIT_MS, signal);
    const minutes = REBOOT_WAIT_MS / 60_000;
    return {
      event_type: "FAILED",
      reason: `the box did not reboot within ${minutes} minutes of the flash: nothing was flashed`,
    };
  }
  const running = await box.firmware();
  const verdict = verdictOf(record.before, running, record.expected);
  const after = firmwareLabel(running);
  const end = clock.monotonic() + ONLINE_WAIT_MS;
  let online = await box.online();
  while (!online && clock.monotonic() < end && !signal.aborted) {
    await clock.sleep(box.pollMs ?? 5_000, signal).catch(() => {});
    online = await box.online();
  }
  if (!verdict.ok) return { event_type: "FAILED", reason: verdict.reason, after };
  if (!online) {
    const minutes = ONLINE_WAIT_MS / 60_000;
    const reason = `upgraded to ${after}, but offline for ${minutes} minutes after the reboot`;
    return { event_type: "FAILED", reason, after };
  }
  return { event_type: "PROCESSED", reason: `upgraded from ${record.before} to ${after}`, after };
}
