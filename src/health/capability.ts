/**
 * The `health` capability: watches connectivity, climbs the recovery ladder while offline,
 * runs `boot_cmd` at start and calls `boot_url` once first online. Decisions come from the
 * pure watch.ts and ladder.ts; this file only times them and does the I/O.
 */
import type { Capability, CapabilityContext } from "../capability.ts";
import type { Config } from "../config/mod.ts";
import { apiUrl, type ExecResult, KernelFs, parseArgv, readCapped } from "../io/mod.ts";
import { mqttOff } from "../mqtt/mod.ts";
import { granted } from "../permissions.ts";
import type { Logger } from "../log/mod.ts";
import { type BoundedBackoff, boundedJitterDelay } from "../backoff.ts";
import { type CheckDeps, type CheckKind, checkLines, describeRound, runChecks } from "./checks.ts";
import type { Connectivity, ConnectivityReport } from "./connectivity.ts";
import {
  DEFAULT_LADDER,
  type LadderProgress,
  type LadderStep,
  NO_PROGRESS,
  RecoveryLadder,
  type StepKind,
} from "./ladder.ts";
import {
  type CheckRound,
  initialWatch,
  observe,
  roundInterval,
  roundVerdict,
  type WatchState,
} from "./watch.ts";

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
  /** Whether this process holds a permission; default: `Deno.permissions.querySync`. */
  allowed?: (descriptor: Deno.PermissionDescriptor) => boolean;
  random?: () => number;
  /** Monotonic ms of the agent's start (a reload must not restart the reboot grace). */
  agentStartedAt?: number;
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

const RECOVERY_TIMEOUT_MS = 120_000;
const RECOVERY_OUTPUT_MAX = 4096;
const BOOT_URL_BACKOFF: BoundedBackoff = { baseMs: 5_000, maxMs: 300_000, jitter: 0.2 };
const BOOT_URL_TIMEOUT_MS = 30_000;
const BOOT_URL_ANSWER_MAX = 64 * 1024;
/** The part of an HTTP answer that goes into the log. */
export const ANSWER_LOG_MAX = 200;

/** An address needs no lookup: there is no DNS to check. */
const isIpLiteral = (host: string) => /^[\d.]+$/.test(host) || host.includes(":");

/** The host and port probed for connectivity: `health_url`, else the broker. */
export function healthTarget(config: Config): { host: string; port: number } | undefined {
  if (config.health_url) {
    const host = config.health_url.includes("://")
      ? new URL(config.health_url).hostname
      : config.health_url.split("/")[0];
    return { host, port: config.health_port };
  }
  return config.mqtt_host ? { host: config.mqtt_host, port: config.port } : undefined;
}

/**
 * The argv of `recovery_cmd` or `reboot_cmd`: a program and its arguments, run without a
 * shell (quotes group words), so that `--allow-run` names exactly that program.
 */
export function commandArgv(command: string): string[] {
  const parsed = parseArgv(command);
  return "argv" in parsed ? parsed.argv : [command];
}

/** The `health` capability: the connectivity watch, the recovery ladder, `boot_cmd` and `boot_url`. */
export class HealthCapability implements Capability, Connectivity {
  readonly name = "health";
  readonly #ctx: CapabilityContext;
  readonly #deps: HealthDeps;
  readonly #log: Logger;
  readonly #checks: CheckDeps;
  readonly #ladder: RecoveryLadder;
  readonly #agentStart: number;
  #watch: WatchState;
  #progress: LadderProgress = NO_PROGRESS;
  #nextRoundAt: number;
  /** The last result of each kind of check, with its wall-clock time. */
  #last: Partial<Record<CheckKind, { at: string; result: string }>> = {};
  /** Why a ladder step cannot act (no --allow-run for its program); absent = enabled. */
  #disabled: Partial<Record<StepKind, string>> = {};
  #abort = new AbortController();
  #tasks: Promise<void>[] = [];
  #bootUrlStarted = false;

  /** Registers its commands; the watch runs from `start()`. */
  constructor(ctx: CapabilityContext, deps: HealthDeps = {}) {
    this.#ctx = ctx;
    this.#deps = deps;
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
    this.#ladder = new RecoveryLadder({ ...DEFAULT_LADDER, rebootS: config.reboot });
    this.#agentStart = deps.agentStartedAt ?? io.clock.monotonic();
    this.#watch = initialWatch(io.clock.monotonic());
    this.#nextRoundAt = io.clock.monotonic();
    ctx.counters.declare(...HEALTH_COUNTERS);
    this.#registerCommands();
  }

  start(): Promise<void> {
    const allowed = this.#deps.allowed ?? granted;
    const { recovery_cmd, reboot_cmd, boot_cmd } = this.#ctx.config;
    for (const [kind, command] of [["restart", recovery_cmd], ["reboot", reboot_cmd]] as const) {
      const program = commandArgv(command)[0];
      if (!allowed({ name: "run", command: program })) {
        this.#disabled[kind] = `no --allow-run=${program}`;
        this.#log.warn(`recovery step ${kind} disabled: permission missing`, {
          missing: `--allow-run=${program}`,
        });
      }
    }
    // Once per agent, not per reload: the counters are the agent's and survive a reload.
    if (boot_cmd && this.#ctx.counters.get("boot-cmd-runs") === 0) {
      this.#spawn(() => this.#runBootCmd(boot_cmd, allowed));
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

  /** One fresh round for `network` jobs: no hysteresis, and it does not move the watch. */
  async check(): Promise<ConnectivityReport> {
    const round = await this.#round();
    return { online: roundVerdict(round).ok, details: describeRound(round) };
  }

  /**
   * Runs `recovery_cmd` for a `network` job that broke the link: the ladder's restart step,
   * same program, same runner, same counter.
   */
  async recover(): Promise<ExecResult | undefined> {
    if (this.#disabled.restart) {
      this.#log.warn("recovery for a network job skipped", { reason: this.#disabled.restart });
      return undefined;
    }
    return await this.#recover("restart", this.#ctx.config.recovery_cmd, "recovery-restarts");
  }

  /** The next ladder step while offline, else undefined. */
  nextStep(): LadderStep | undefined {
    const start = this.#watch.failingSince;
    if (this.#watch.health !== "offline" || start === undefined) return undefined;
    return this.#ladder.next(this.#progress, start, this.#agentStart);
  }

  #spawn(task: () => Promise<void>): void {
    this.#tasks.push(
      task().catch((error) => {
        if (!this.#abort.signal.aborted) this.#log.error("health task failed", { error });
      }),
    );
  }

  async #round(): Promise<CheckRound> {
    const round = await runChecks(this.#checks);
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
      await this.#climbLadder();
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
    this.#progress = NO_PROGRESS;
    this.#deps.onOnline?.();
    const url = this.#ctx.config.boot_url;
    if (url && !this.#bootUrlStarted && this.#ctx.counters.get("boot-url-ok") === 0) {
      this.#bootUrlStarted = true;
      this.#spawn(() => this.#callBootUrl(url));
    }
  }

  /** Takes every step that is due; a disabled step is passed over without acting. */
  async #climbLadder(): Promise<void> {
    for (let step = this.nextStep(); step; step = this.nextStep()) {
      if (step.at > this.#ctx.io.clock.monotonic() || this.#abort.signal.aborted) return;
      this.#progress = this.#ladder.taken(this.#progress, step);
      if (this.#disabled[step.kind]) continue;
      if (step.kind === "reboot") await this.#reboot();
      else await this.#recover("restart", this.#ctx.config.recovery_cmd, "recovery-restarts");
    }
  }

  async #reboot(): Promise<void> {
    try {
      await this.#deps.beforeReboot?.();
    } catch (error) {
      this.#log.error("flush before reboot failed; rebooting anyway", { error });
    }
    await this.#recover("reboot", this.#ctx.config.reboot_cmd, "recovery-reboots");
  }

  /** Runs a recovery command without a shell: `--allow-run` scopes exactly its program. */
  async #recover(kind: StepKind, command: string, counter: string): Promise<ExecResult> {
    const since = this.#watch.failingSince;
    const offlineS = since === undefined
      ? undefined
      : Math.round((this.#ctx.io.clock.monotonic() - since) / 1000);
    this.#log.warn(`recovery: ${kind}`, { command, offline_s: offlineS });
    this.#ctx.counters.inc(counter);
    const result = await this.#ctx.io.exec.run({
      argv: commandArgv(command),
      timeoutMs: RECOVERY_TIMEOUT_MS,
      outputMax: RECOVERY_OUTPUT_MAX,
      signal: this.#abort.signal,
    });
    this.#logResult(`recovery ${kind}`, result);
    return result;
  }

  async #runBootCmd(
    command: string,
    allowed: (d: Deno.PermissionDescriptor) => boolean,
  ): Promise<void> {
    if (!allowed({ name: "run", command: "/bin/sh" })) {
      this.#log.warn("boot_cmd disabled: permission missing", { missing: "--allow-run=/bin/sh" });
      return;
    }
    const { job_timeout, job_output_max } = this.#ctx.config;
    this.#ctx.counters.inc("boot-cmd-runs");
    const result = await this.#ctx.io.exec.run({
      argv: ["/bin/sh", "-c", command],
      timeoutMs: job_timeout * 1000,
      outputMax: job_output_max,
      signal: this.#abort.signal,
    });
    this.#logResult("boot_cmd", result);
  }

  #logResult(what: string, result: ExecResult): void {
    const fields = {
      exit: result.exitCode,
      ms: Math.round(result.durationMs),
      timed_out: result.timedOut || undefined,
      error: result.error,
      output: result.output.slice(-ANSWER_LOG_MAX).trim() || undefined,
    };
    if (result.exitCode === 0) this.#log.info(`${what} done`, fields);
    else this.#log.warn(`${what} failed`, fields);
  }

  /** GETs `boot_url` until it answers 2xx; the answer is logged, never executed. */
  async #callBootUrl(url: string): Promise<void> {
    const { config, mac, io } = this.#ctx;
    const target = apiUrl(url, { token: config.token, mac });
    const signal = this.#abort.signal;
    const random = this.#deps.random ?? Math.random;
    for (let attempt = 0; !signal.aborted; attempt++) {
      try {
        const response = await io.net.fetch(target, {
          signal: AbortSignal.any([signal, AbortSignal.timeout(BOOT_URL_TIMEOUT_MS)]),
        });
        const body = await readCapped(response, BOOT_URL_ANSWER_MAX);
        const answer = body === undefined ? "(answer too large)" : body.slice(0, ANSWER_LOG_MAX);
        if (response.ok) {
          this.#ctx.counters.inc("boot-url-ok");
          this.#log.info("boot_url answered", { status: response.status, answer });
          return;
        }
        this.#log.warn("boot_url refused", { status: response.status, answer });
      } catch (error) {
        if (signal.aborted) return;
        this.#log.warn("boot_url failed", { error });
      }
      await io.clock.sleep(boundedJitterDelay(attempt, BOOT_URL_BACKOFF, random), signal).catch(
        () => {},
      );
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
              ...(this.#disabled[step.kind] ? { disabled: this.#disabled[step.kind] } : {}),
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
