/**
 * The recovery ladder's actions while offline: `recovery_cmd` (restart) and `reboot_cmd`,
 * each run without a shell, so that `--allow-run` names exactly its program. The ladder
 * (ladder.ts) decides when; a step whose program is not allowed is passed over, said once.
 */
import type { CapabilityContext } from "../capability.ts";
import { type ExecResult, parseArgv } from "../io/mod.ts";
import type { Logger } from "../log/mod.ts";
import { logResult } from "./boot.ts";
import {
  DEFAULT_LADDER,
  type LadderProgress,
  type LadderStep,
  NO_PROGRESS,
  RecoveryLadder,
  type StepKind,
} from "./ladder.ts";
import type { WatchState } from "./watch.ts";

const RECOVERY_TIMEOUT_MS = 120_000;
const RECOVERY_OUTPUT_MAX = 4096;

/** The argv of `recovery_cmd` or `reboot_cmd`: a program and its words (quotes group them). */
export function programArgv(command: string): string[] {
  const parsed = parseArgv(command);
  return parsed.ok ? parsed.value : [command];
}

/** The watch as it stands now: offline or not, failing since when (monotonic ms). */
export type Watch = () => Pick<WatchState, "health" | "failingSince">;

/** The steps of one agent's ladder, and the programs they run. */
export class Recovery {
  readonly #ctx: CapabilityContext;
  readonly #log: Logger;
  readonly #watch: Watch;
  readonly #ladder: RecoveryLadder;
  readonly #agentStart: number;
  #progress: LadderProgress = NO_PROGRESS;
  /** Why a step cannot act (no --allow-run for its program); absent = enabled. */
  readonly #disabled: Partial<Record<StepKind, string>> = {};

  constructor(ctx: CapabilityContext, log: Logger, watch: Watch) {
    this.#ctx = ctx;
    this.#log = log;
    this.#watch = watch;
    this.#ladder = new RecoveryLadder({ ...DEFAULT_LADDER, rebootS: ctx.config.reboot });
    // A reload builds health again: the reboot grace runs from the agent's start.
    this.#agentStart = ctx.agentStartedAt ?? ctx.io.clock.monotonic();
  }

  /** Disables each step whose program this process may not run. */
  checkPermissions(allowed: (descriptor: Deno.PermissionDescriptor) => boolean): void {
    const { recovery_cmd, reboot_cmd } = this.#ctx.config;
    for (const [kind, command] of [["restart", recovery_cmd], ["reboot", reboot_cmd]] as const) {
      const program = programArgv(command)[0];
      if (allowed({ name: "run", command: program })) continue;
      this.#disabled[kind] = `no --allow-run=${program}`;
      this.#log.warn(`recovery step ${kind} disabled: permission missing`, {
        missing: `--allow-run=${program}`,
      });
    }
  }

  /** Why a step cannot act, or undefined. */
  disabled(kind: StepKind): string | undefined {
    return this.#disabled[kind];
  }

  /** Back online: the next outage starts from the first step. */
  reset(): void {
    this.#progress = NO_PROGRESS;
  }

  /** The next step while offline, else undefined. */
  next(): LadderStep | undefined {
    const { health, failingSince } = this.#watch();
    if (health !== "offline" || failingSince === undefined) return undefined;
    return this.#ladder.next(this.#progress, failingSince, this.#agentStart);
  }

  /** Takes every step that is due; a disabled one is passed over without acting. */
  async climb(signal: AbortSignal, beforeReboot?: () => Promise<void>): Promise<void> {
    for (let step = this.next(); step; step = this.next()) {
      if (step.at > this.#ctx.io.clock.monotonic() || signal.aborted) return;
      this.#progress = this.#ladder.taken(this.#progress, step);
      if (this.#disabled[step.kind]) continue;
      if (step.kind === "restart") await this.restart(signal);
      else {
        try {
          await beforeReboot?.();
        } catch (error) {
          this.#log.error("flush before reboot failed; rebooting anyway", { error });
        }
        await this.#run("reboot", this.#ctx.config.reboot_cmd, "recovery-reboots", signal);
      }
    }
  }

  /** Runs `recovery_cmd` (the ladder's restart, or for a `network` job that broke the link). */
  restart(signal: AbortSignal): Promise<ExecResult> {
    return this.#run("restart", this.#ctx.config.recovery_cmd, "recovery-restarts", signal);
  }

  async #run(
    kind: StepKind,
    command: string,
    counter: string,
    signal: AbortSignal,
  ): Promise<ExecResult> {
    const since = this.#watch().failingSince;
    const now = this.#ctx.io.clock.monotonic();
    const offlineS = since === undefined ? undefined : Math.round((now - since) / 1000);
    this.#log.warn(`recovery: ${kind}`, { command, offline_s: offlineS });
    this.#ctx.counters.inc(counter);
    const result = await this.#ctx.io.exec.run({
      argv: programArgv(command),
      timeoutMs: RECOVERY_TIMEOUT_MS,
      outputMax: RECOVERY_OUTPUT_MAX,
      signal,
    });
    logResult(this.#log, `recovery ${kind}`, result);
    return result;
  }
}
