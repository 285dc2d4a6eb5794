/**
 * The recovery ladder while offline, as pure decisions: which step is next and when, from
 * the outage start, the agent start and the steps already taken. All times are monotonic
 * milliseconds, so an NTP jump cannot fire the watchdog.
 */

export interface LadderPolicy {
  /** Seconds offline before `reboot_cmd`; 0 disables rebooting. */
  rebootS: number;
  /** Seconds offline before the first `recovery_cmd`. */
  firstRestartS: number;
  /** No reboot within this many seconds of the agent's own start (no reboot loops). */
  startGraceS: number;
  /** The gap between restarts when `rebootS` is 0 (nothing else caps it). */
  maxRestartGapS: number;
}

export const DEFAULT_LADDER: Omit<LadderPolicy, "rebootS"> = {
  firstRestartS: 120,
  startGraceS: 15 * 60,
  maxRestartGapS: 3600,
};

/** The steps taken in the current outage; a new outage starts from zero. */
export interface LadderProgress {
  restarts: number;
  reboots: number;
  /** When the last reboot step was taken: the next one waits a full `rebootS` after it. */
  lastRebootAt?: number;
}

/** A recovery step: `recovery_cmd` or `reboot_cmd`. */
export type StepKind = "restart" | "reboot";
/** The next step of the ladder. */
export interface LadderStep {
  /** Which command it runs. */
  kind: StepKind;
  /** Monotonic ms when the step is due. */
  at: number;
}

export const NO_PROGRESS: LadderProgress = { restarts: 0, reboots: 0 };

export class RecoveryLadder {
  constructor(readonly policy: LadderPolicy) {}

  /** Seconds into the outage of restart number `n` (0-based): 120, 240, 480, ... */
  restartOffsetS(n: number): number {
    const { firstRestartS, rebootS, maxRestartGapS } = this.policy;
    const cap = rebootS > 0 ? rebootS / 2 : maxRestartGapS;
    let offset = firstRestartS;
    for (let i = 1; i <= n; i++) offset += Math.min(firstRestartS * 2 ** (i - 1), cap);
    return offset;
  }

  /** The next step of an outage that began at `outageStart`; reboot wins a tie. */
  next(progress: LadderProgress, outageStart: number, agentStart: number): LadderStep {
    const restart: LadderStep = {
      kind: "restart",
      at: outageStart + this.restartOffsetS(progress.restarts) * 1000,
    };
    const { rebootS, startGraceS } = this.policy;
    if (rebootS === 0) return restart;
    const rebootAt = progress.lastRebootAt === undefined
      ? Math.max(outageStart + rebootS * 1000, agentStart + startGraceS * 1000)
      : progress.lastRebootAt + rebootS * 1000;
    return rebootAt <= restart.at ? { kind: "reboot", at: rebootAt } : restart;
  }

  /** The progress after taking `step`. */
  taken(progress: LadderProgress, step: LadderStep): LadderProgress {
    return step.kind === "restart"
      ? { ...progress, restarts: progress.restarts + 1 }
      : { ...progress, reboots: progress.reboots + 1, lastRebootAt: step.at };
  }
}
