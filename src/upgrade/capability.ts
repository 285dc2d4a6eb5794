/**
 * The `upgrade` capability: flashes the firmware a `sysupgrade` job names (flow.ts) and
 * answers it after the reboot (after_reboot.ts).
 *
 * Decisions worth knowing:
 * - The answer is decided once and journaled before it is sent: a crash at any step gives
 *   one final answer, and nothing is ever flashed twice. An agent that finds an upgrade it
 *   had not reached FLASHING with answers FAILED (nothing was flashed); one it finds at
 *   FLASHING judges by the running firmware, flashed or not.
 * - A graceful stop, or `job-cancel`, before FLASHING answers CANCELLED; the image is
 *   removed either way. From FLASHING on, nothing stops it.
 * - The window is waited for before the download: an image does not sit in RAM for hours.
 */
import type { Capability, CapabilityContext } from "../capability.ts";
import type { Logger } from "../log/mod.ts";
import type { ReplyRoute } from "../replies/mod.ts";
import { judgeFlash } from "./after_reboot.ts";
import type { UpgradeBox } from "./box.ts";
import { hostAllowed } from "./download.ts";
import { UpgradeRun, type UpgradeWatcher } from "./flow.ts";
import { type SendReply, UPGRADE_COUNTERS, UpgradeJournal } from "./journal.ts";
import type { UpgradeRecord } from "./record.ts";
import type { UpgradeRequest } from "./request.ts";
import { UpgradeSystem } from "./system.ts";

/** What the upgrade needs of the other capabilities. */
export interface UpgradeDeps {
  /** Sends a reply on `pub/...`. */
  send: SendReply;
  /** Writes what waits in memory (the stats spool's batch) before the flash. */
  beforeFlash(): Promise<void>;
  /** Whether the health watch says online now. */
  online(): Promise<boolean>;
}

/** An accepted upgrade job's hold on the upgrade. */
export interface UpgradeClaim {
  /** Runs the upgrade. */
  run(request: UpgradeRequest, watcher: UpgradeWatcher): Promise<void>;
  /** Gives the hold up without running (the job could not be journaled). */
  release(): void;
}

/** The `upgrade` capability. */
export class UpgradeCapability implements Capability {
  readonly name = "upgrade" as const;
  readonly #ctx: CapabilityContext;
  readonly #deps: UpgradeDeps;
  readonly #box: UpgradeBox;
  readonly #log: Logger;
  readonly #journal: UpgradeJournal;
  readonly #system: UpgradeSystem;
  readonly #stop = new AbortController();
  /** The job that holds the upgrade from its acceptance on. */
  #claimed: string | undefined;
  /** The upgrade running now. */
  #running: UpgradeRun | undefined;
  #work: Promise<void> = Promise.resolve();

  /** Registers `upgrade-status`; the journal is read in `start()`. */
  constructor(ctx: CapabilityContext, deps: UpgradeDeps, box: UpgradeBox) {
    this.#ctx = ctx;
    this.#deps = deps;
    this.#box = box;
    this.#log = ctx.log.child("upgrade");
    this.#journal = new UpgradeJournal(ctx, this.#log, deps.send);
    this.#system = new UpgradeSystem(ctx, this.#log);
    ctx.counters.declare(...UPGRADE_COUNTERS);
    ctx.commands.register({
      name: "upgrade-status",
      description: "the firmware upgrade in progress, or the last one",
      capability: "upgrade",
      args: {},
      run: () => this.status() ?? null,
    });
  }

  async start(): Promise<void> {
    let record: UpgradeRecord | undefined;
    try {
      record = await this.#journal.load();
    } catch (error) {
      // A journal we cannot read must not stop upgrades for good: say so, start afresh.
      this.#log.error("upgrade journal unreadable; it is replaced by the next upgrade", { error });
    }
    if (record && !(record.step === "done" && record.sent)) {
      const id = record.id;
      this.#work = this.#resume(record).catch((error) =>
        this.#log.error("upgrade answer failed", { id, error })
      );
    }
    this.#log.info("upgrades ready", {
      hosts: this.#ctx.config.upgrade.hosts.join(","),
      last: record ? `${record.id} ${record.step}` : "none",
    });
  }

  async stop(): Promise<void> {
    this.#stop.abort(new Error("the agent is stopping"));
    await this.#work;
  }

  state(): string {
    const record = this.#journal.record;
    if (!record) return "no upgrade yet";
    return `job ${record.id}: ${record.step}${record.result ? ` ${record.result.event_type}` : ""}`;
  }

  /** The upgrade in progress or the last one, as `upgrade-status` shows it. */
  status(): UpgradeRecord | undefined {
    const record = this.#journal.record;
    return record && structuredClone(record);
  }

  /** Why this upgrade cannot be accepted now; undefined when it can. */
  refusal(request: UpgradeRequest): string | undefined {
    const { hosts } = this.#ctx.config.upgrade;
    if (!hostAllowed(request.url, hosts)) {
      const host = new URL(request.url).host;
      return `image host ${host} is not in upgrade.hosts (${hosts.join(", ")})`;
    }
    const record = this.#journal.record;
    if (this.#claimed !== undefined && record?.id !== this.#claimed) {
      return `an upgrade is in progress: job ${this.#claimed} (accepted)`;
    }
    if (record && record.step !== "done") {
      return `an upgrade is in progress: job ${record.id} (${record.step})`;
    }
    return undefined;
  }

  /**
   * Stops upgrade `id` before FLASHING: it answers CANCELLED, nothing is flashed. False when
   * it is not running, or is flashing already.
   */
  cancel(id: string): boolean {
    const record = this.#journal.record;
    if (record?.id !== id || record.step === "done") return false;
    return this.#running?.cancel() ?? false;
  }

  /**
   * Reserves the upgrade for an accepted job, at once: a second one is refused from now.
   * `run` (once its DELIVERED is out) resolves when it is answered, or when the box is
   * about to reboot (the answer then comes from the agent after it).
   */
  claim(id: string, route?: ReplyRoute): UpgradeClaim {
    this.#claimed = id;
    const release = () => void (this.#claimed = undefined);
    return {
      run: (request, watcher) => {
        const run = this.#running = new UpgradeRun({
          ctx: this.#ctx,
          log: this.#log,
          box: this.#box,
          journal: this.#journal,
          system: this.#system,
          beforeFlash: () => this.#deps.beforeFlash(),
        });
        const work = run.run(id, request, watcher, this.#stop.signal, route).finally(() => {
          this.#running = undefined;
          release();
        });
        this.#work = work.catch(() => {});
        return work;
      },
      release,
    };
  }

  /** After a restart: answers an upgrade the previous agent left unanswered. */
  async #resume(record: UpgradeRecord): Promise<void> {
    if (record.result) return await this.#journal.resend();
    if (record.step !== "flashing") {
      await this.#system.removeImage();
      const reason = `the agent restarted at ${record.step}; nothing was flashed`;
      return void await this.#journal.finish({ event_type: "FAILED", reason });
    }
    const result = await judgeFlash(record, {
      ...this.#box,
      firmware: () => this.#system.firmware(),
      online: () => this.#deps.online(),
      clock: this.#ctx.io.clock,
      signal: this.#stop.signal,
      pollMs: this.#box.onlinePollMs,
      log: this.#log,
    });
    await this.#journal.finish(result);
  }
}
