/**
 * One capability's life in the agent: built (its commands answer 503 with the reason until
 * it runs), started unless it is off or lacks a permission, retried later and later when
 * its start fails, stopped. What it answers while it does not run says why.
 */
import { type BoundedBackoff, boundedJitterDelay } from "../backoff.ts";
import type { Capability, CapabilityContext, CapabilityName, StopReason } from "../capability.ts";
import type { Clock } from "../io/mod.ts";
import type { Logger } from "../log/mod.ts";
import { missingPermissions, type RunContext } from "../permissions.ts";
import type { Live, Wired } from "./wiring.ts";

/** Where a capability stands. */
type Standing =
  | { state: "starting" | "running" }
  | { state: "off" | "disabled"; reason: string }
  | { state: "failed"; reason: string; attempts: number; retry: AbortController };

/** A capability that failed to start is tried again, later and later (5 s up to 5 min). */
const START_RETRY: BoundedBackoff = { baseMs: 5_000, maxMs: 300_000, jitter: 0.2 };

/** What a supervisor is given by the agent. */
export interface SupervisorHost {
  ctx: CapabilityContext;
  live: Live;
  run(): RunContext;
  allowed?: (descriptor: Deno.PermissionDescriptor) => boolean;
  clock: Clock;
  log: Logger;
  /** Runs `work` after the changes under way (reloads, retries, the stop). */
  change(work: () => Promise<void>): Promise<void>;
  /** Whether the agent is stopping: nothing is retried then. */
  stopping(): boolean;
  /** It came up: the capabilities that failed for want of it go again. */
  started(name: CapabilityName): void;
}

/** One capability, built and started for the agent. */
export class Supervisor {
  readonly name: CapabilityName;
  #capability: Capability | undefined;
  #standing: Standing | undefined;

  constructor(readonly wired: Wired, private readonly host: SupervisorHost) {
    this.name = wired.spec.name;
  }

  /**
   * The capability while it runs: one that is off, disabled, failed or stopping is not
   * handed to the others (a `sysupgrade` job must not reach an upgrade capability that
   * is off).
   */
  get capability(): Capability | undefined {
    return this.running ? this.#capability : undefined;
  }

  get running(): boolean {
    return this.#standing?.state === "running";
  }

  /** Its permissions for the running config, as comparable text. */
  needsText(): string {
    return JSON.stringify(this.wired.spec.needs(this.host.ctx.config, this.host.run()));
  }

  /** Why it is off for the running config, or undefined. */
  off(): string | undefined {
    return this.wired.spec.off?.(this.host.ctx.config);
  }

  /** Builds it anew (without I/O); its commands answer 503 until it runs. */
  build(): void {
    const { ctx, live } = this.host;
    this.#capability = this.wired.spec.build(ctx, this.wired.deps(live, ctx));
    this.#standing = { state: "starting" };
  }

  /**
   * Starts the built capability unless it is off or lacks a permission; retries a failure.
   * `attempts` and `lastError` are those of the failures before, on a retry.
   */
  async start(attempts = 0, lastError?: string): Promise<void> {
    const capability = this.#capability!;
    const off = this.off();
    if (off) return void (this.#standing = { state: "off", reason: off });
    const needs = this.wired.spec.needs(this.host.ctx.config, this.host.run());
    const missing = missingPermissions(needs, this.host.allowed);
    if (missing.length > 0) {
      this.#standing = { state: "disabled", reason: missing.join(" ") };
      this.host.log.warn(`${this.name} disabled: permission missing`, {
        missing: missing.join(" "),
      });
      return;
    }
    try {
      await capability.start();
    } catch (error) {
      return this.#failed(capability, describe(error), attempts + 1, lastError);
    }
    this.#standing = { state: "running" };
    if (attempts > 0) this.host.log.info(`${this.name} started`, { attempts: attempts + 1 });
    this.host.started(this.name);
  }

  /** Stops it if it runs; a failed one stops being retried. */
  async stop(reason: StopReason): Promise<void> {
    const standing = this.#standing;
    this.#standing = undefined;
    if (standing?.state === "failed") standing.retry.abort();
    if (standing?.state !== "running") return;
    try {
      await this.#capability?.stop(reason);
    } catch (error) {
      this.host.log.error(`${this.name} failed to stop cleanly`, { error });
    }
  }

  /** A failed start is tried again now (what it waited for has come up). */
  retryNow(): void {
    if (this.#standing?.state === "failed") this.#standing.retry.abort();
  }

  /** Why its commands cannot be answered now, or undefined when they can. */
  unavailable(): string | undefined {
    const standing = this.#standing;
    if (!standing) return `${this.name} not running`;
    switch (standing.state) {
      case "running":
        return undefined;
      case "starting":
        return `${this.name} starting`;
      case "off":
        return `${this.name} off: ${standing.reason}`;
      case "disabled":
        return `${this.name} disabled: missing ${standing.reason}`;
      case "failed":
        return `${this.name} failed to start: ${standing.reason} ` +
          `(attempt ${standing.attempts}, retrying)`;
    }
  }

  /** One line for `status`. */
  state(): string {
    return this.running && this.#capability
      ? this.#capability.state()
      : this.unavailable()?.replace(`${this.name} `, "") ?? "stopped";
  }

  #failed(capability: Capability, reason: string, attempts: number, lastError?: string): void {
    const retry = new AbortController();
    this.#standing = { state: "failed", reason, attempts, retry };
    const delay = boundedJitterDelay(attempts - 1, START_RETRY, Math.random);
    // One error line per reason; the retries of the same failure only at debug.
    const fields = { error: reason, "retry-in-s": Math.round(delay / 1000) };
    if (reason === lastError) this.host.log.debug(`${this.name} still failing to start`, fields);
    else this.host.log.error(`${this.name} failed to start`, fields);
    // A half-started capability releases what it took before it is built again.
    capability.stop("shutdown").catch(() => {});
    // Aborting the wait retries at once (a capability it uses has started); a stop or a
    // reload has removed the standing by then, and nothing is retried.
    this.host.clock.sleep(delay, retry.signal).catch(() => {}).then(() =>
      this.host.change(async () => {
        const now = this.#standing;
        if (this.host.stopping() || now?.state !== "failed" || now.retry !== retry) return;
        this.build();
        await this.start(attempts, reason);
      })
    );
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
