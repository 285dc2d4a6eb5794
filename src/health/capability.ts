/**
 * The `health` capability: watches connectivity and climbs the recovery ladder while
 * offline (recovery.ts), runs `boot_cmd` at start and calls `boot_url` once first online
 * (boot.ts). Decisions come from the pure watch.ts and ladder.ts; this file times them.
 */
import type { Capability, CapabilityContext } from "../capability.ts";
import { mqttOff } from "../config/mod.ts";
import { type ExecResult, KernelFs } from "../io/mod.ts";
import { granted } from "../permissions.ts";
import type { Logger } from "../log/mod.ts";
import { callBootUrl, runBootCmd } from "./boot.ts";
import {
  type CheckDeps,
  type CheckKind,
  checkLines,
  describeRound,
  healthTarget,
  isIpLiteral,
  runChecks,
} from "./checks.ts";
import type { LadderStep } from "./ladder.ts";
import { Recovery } from "./recovery.ts";
import {
  type CheckRound,
  initialWatch,
  observe,
  roundInterval,
  roundVerdict,
  type WatchState,
} from "./watch.ts";

/** What the health watch is given of the others. */
export interface HealthDeps {
  /** The MQTT session state, counted as evidence of being online (wired by the agent). */
  mqttConnected?: () => boolean;
  /** Called on every transition to online (the uplink sends its cache at once). */
  onOnline?: () => void;
  /**
   * Writes what waits in memory (the stats cache's batch) before `reboot_cmd`; the job
   * journal and the outbox are on disk already (fsync'ed as they go).
   */
  beforeReboot?: () => Promise<void>;
}

/** What tests replace. */
export interface HealthOptions {
  /** Whether this process holds a permission; default: `Deno.permissions.querySync`. */
  allowed?: (descriptor: Deno.PermissionDescriptor) => boolean;
  /** In [0, 1): the jitter of `boot_url`'s retries; default `Math.random`. */
  random?: () => number;
}

export const HEALTH_COUNTERS = [
  "health-checks-ok",
  "health-checks-failed",
  "health-offline",
  "health-online",
  "recovery-restarts",
  "recovery-reboots",
  "boot-cmd-runs",
  "boot-url-ok",
] as const;

/** The `health` capability: the connectivity watch, the recovery ladder, `boot_cmd` and `boot_url`. */
export class HealthCapability implements Capability {
  readonly name = "health";
  readonly #ctx: CapabilityContext;
  readonly #deps: HealthDeps;
  readonly #options: HealthOptions;
  readonly #log: Logger;
  readonly #checks: CheckDeps;
  readonly #recovery: Recovery;
  #watch: WatchState;
  #nextRoundAt: number;
  /** The last result of each kind of check, with its wall-clock time. */
  #last: Partial<Record<CheckKind, { at: string; result: string }>> = {};
  #abort = new AbortController();
  #tasks: Promise<void>[] = [];
  #bootUrlStarted = false;

  /** Registers its commands; the watch runs from `start()`. */
  constructor(ctx: CapabilityContext, deps: HealthDeps = {}, options: HealthOptions = {}) {
    this.#ctx = ctx;
    this.#deps = deps;
    this.#options = options;
    this.#log = ctx.log.child("health");
    const { config, io } = ctx;
    this.#checks = {
      clock: io.clock,
      // /proc/net/route: through cat under the preset, as the collector reads it.
      fs: new KernelFs(io.fs, io.exec),
      net: io.net,
      target: healthTarget(config),
      dnsHost: !mqttOff(config) && !isIpLiteral(config.mqtt_host!) ? config.mqtt_host : undefined,
      mqttConnected: deps.mqttConnected,
    };
    this.#recovery = new Recovery(ctx, this.#log, () => this.#watch);
    this.#watch = initialWatch(io.clock.monotonic());
    this.#nextRoundAt = io.clock.monotonic();
    ctx.counters.declare(...HEALTH_COUNTERS);
    this.#registerCommands();
  }

  start(): Promise<void> {
    const allowed = this.#options.allowed ?? granted;
    this.#recovery.checkPermissions(allowed);
    // Once per agent, not per reload: the counters are the agent's and survive a reload.
    if (this.#ctx.config.boot_cmd && this.#ctx.counters.get("boot-cmd-runs") === 0) {
      if (allowed({ name: "run", command: "/bin/sh" })) {
        this.#spawn(() => runBootCmd(this.#ctx, this.#log, this.#abort.signal));
      } else {
        this.#log.warn("boot_cmd disabled: permission missing", { missing: "--allow-run=/bin/sh" });
      }
    }
    this.#spawn(() => this.#watchLoop());
    return Promise.resolve();
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await Promise.all(this.#tasks);
  }

  state(): string {
    const { health, cause } = this.#watch;
    const since = Math.round((this.#ctx.io.clock.monotonic() - this.#watch.since) / 1000);
    return `${health} for ${since}s (${cause})`;
  }

  /**
   * One fresh round for `network` jobs and desired states: no hysteresis, and it does not
   * move the watch. `details` has one short line per check.
   */
  async check(): Promise<{ online: boolean; details: string[] }> {
    const round = await this.#round(true);
    return { online: roundVerdict(round).ok, details: describeRound(round) };
  }

  /**
   * Runs `recovery_cmd` for a `network` job that broke the link: the ladder's restart step,
   * same program, same runner, same counter.
   */
  async recover(): Promise<ExecResult | undefined> {
    const disabled = this.#recovery.disabled("restart");
    if (!disabled) return await this.#recovery.restart(this.#abort.signal);
    this.#log.warn("recovery for a network job skipped", { reason: disabled });
    return undefined;
  }

  /** The next ladder step while offline, else undefined. */
  nextStep(): LadderStep | undefined {
    return this.#recovery.next();
  }

  #spawn(task: () => Promise<void>): void {
    this.#tasks.push(
      task().catch((error) => {
        if (!this.#abort.signal.aborted) this.#log.error("health task failed", { error });
      }),
    );
  }

  async #round(fresh = false): Promise<CheckRound> {
    const round = await runChecks(this.#checks, fresh);
    // Deno asks for the resolver's address (e.g. 127.0.0.1:53), which the config cannot
    // name; DNS is only evidence, so without that permission it is dropped, said once.
    const denied = round.dns?.error?.match(/Requires net access to "([^"]+)"/);
    if (denied && this.#checks.dnsHost) {
      this.#checks.dnsHost = undefined;
      delete round.dns;
      this.#log.warn("dns check disabled: permission missing", {
        missing: `--allow-net=${denied[1]}`,
      });
    }
    const at = this.#wall(round.at);
    for (const [kind, result] of Object.entries(checkLines(round))) {
      this.#last[kind as CheckKind] = { at, result };
    }
    return round;
  }

  async #watchLoop(): Promise<void> {
    const { clock } = this.#ctx.io;
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      // Rounds are paced start to start, so a 3 s probe timeout does not stretch them.
      const started = clock.monotonic();
      this.#apply(await this.#round());
      await this.#recovery.climb(signal, this.#deps.beforeReboot);
      const now = clock.monotonic();
      this.#nextRoundAt = started + roundInterval(this.#watch, this.#ctx.config.monitor);
      const step = this.nextStep();
      const wake = step ? Math.min(this.#nextRoundAt, step.at) : this.#nextRoundAt;
      await clock.sleep(Math.max(0, wake - now), signal).catch(() => {});
    }
  }

  #apply(round: CheckRound): void {
    const { counters } = this.#ctx;
    const verdict = roundVerdict(round);
    counters.inc(verdict.ok ? "health-checks-ok" : "health-checks-failed");
    if (!verdict.ok) this.#log.debug("check round failed", { checks: describeRound(round) });
    const { state, transition } = observe(this.#watch, round);
    this.#watch = state;
    if (!transition) return;
    counters.inc(`health-${transition.to}`);
    if (transition.to === "offline") {
      this.#log.warn("offline", { cause: transition.cause });
      return;
    }
    this.#log.info("online", { cause: transition.cause, was: transition.from });
    this.#recovery.reset();
    this.#deps.onOnline?.();
    if (
      this.#ctx.config.boot_url && !this.#bootUrlStarted &&
      this.#ctx.counters.get("boot-url-ok") === 0
    ) {
      this.#bootUrlStarted = true;
      const random = this.#options.random ?? Math.random;
      this.#spawn(() => callBootUrl(this.#ctx, this.#log, this.#abort.signal, random));
    }
  }

  #wall(at: number): string {
    const { clock } = this.#ctx.io;
    return new Date(clock.now() - (clock.monotonic() - at)).toISOString();
  }

  #registerCommands(): void {
    const { commands, io } = this.#ctx;
    const seconds = (at: number) => Math.round((at - io.clock.monotonic()) / 1000);
    commands.register({
      name: "health",
      description: "connectivity state, since when, the last checks and the next recovery step",
      capability: "health",
      run: () => {
        const step = this.nextStep();
        const disabled = step && this.#recovery.disabled(step.kind);
        return {
          state: this.#watch.health,
          since: this.#wall(this.#watch.since),
          cause: this.#watch.cause,
          "failed-rounds": this.#watch.failedRounds,
          "last-checks": this.#last,
          "next-check-in-s": Math.max(0, seconds(this.#nextRoundAt)),
          "next-step": step
            ? {
              step: step.kind,
              at: this.#wall(step.at),
              "in-s": Math.max(0, seconds(step.at)),
              ...(disabled ? { disabled } : {}),
            }
            : null,
        };
      },
    });
    commands.register({
      name: "health-check",
      description: "run the connectivity checks now and return them",
      capability: "health",
      run: () => this.check(),
    });
  }
}
