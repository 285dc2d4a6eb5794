/**
 * One accepted upgrade, step by step, each saved before it starts: wait for the window,
 * download (capped by the memory left) while hashing, verify the SHA-256, `sysupgrade -T`,
 * then FLASHING: the spool is committed, the FLASHING event is on the wire, `sysupgrade
 * [-n]` runs and the box reboots; the agent that comes up after answers (after_reboot.ts).
 * A stop or `job-cancel` before FLASHING answers CANCELLED; from FLASHING on nothing stops it.
 */
import type { CapabilityContext } from "../capability.ts";
import { privateDir, saidBy } from "../io/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { JobReply, ReplyRoute } from "../replies/mod.ts";
import type { UpgradeBox } from "./box.ts";
import { shownUrl } from "./download.ts";
import { fetchImage } from "./fetch_image.ts";
import { firmwareLabel } from "./firmware.ts";
import type { UpgradeJournal } from "./journal.ts";
import type { UpgradeRequest } from "./request.ts";
import type { UpgradeSystem } from "./system.ts";
import { waitForWindow } from "./window_wait.ts";
import { localTimeText } from "./zone.ts";

/** Kept free beside the image: sysupgrade and the rest of the box need memory too. */
export const MEMORY_RESERVE = 16 * 1024 * 1024;

/** How an accepted upgrade job is followed: its state for `job-info`, its end. */
export interface UpgradeWatcher {
  /** Where it stands, for `job-info` ("waits for its window …"). */
  note(reason: string): void;
  /** The final answer, when it comes before the reboot. */
  settled(reply: JobReply): void;
}

/** What a run is made of: the agent's context, the box, the journal and the system. */
export interface FlowParts {
  ctx: CapabilityContext;
  log: Logger;
  box: UpgradeBox;
  journal: UpgradeJournal;
  system: UpgradeSystem;
  /** Writes what waits in memory (the stats spool's batch) before the flash. */
  beforeFlash(): Promise<void>;
}

/** One upgrade, from its acceptance to its answer or the reboot. */
export class UpgradeRun {
  readonly #parts: FlowParts;
  readonly #cancel = new AbortController();
  /** Until FLASHING: `cancel()` still stops it. */
  #cancellable = true;

  constructor(parts: FlowParts) {
    this.#parts = parts;
  }

  /** Stops it before FLASHING (CANCELLED, nothing flashed); false once flashing. */
  cancel(): boolean {
    if (!this.#cancellable) return false;
    this.#cancel.abort(new Error("cancelled"));
    return true;
  }

  /** Runs the upgrade job `id` until its answer, or the flash (the box then reboots). */
  async run(
    id: string,
    request: UpgradeRequest,
    watcher: UpgradeWatcher,
    stopping: AbortSignal,
    route?: ReplyRoute,
  ): Promise<void> {
    const { journal, system, log } = this.#parts;
    const record = journal.begin({
      id,
      ...(route ? { route } : {}),
      image: shownUrl(request.url),
      sha256: request.sha256,
      keep: request.keep,
      before: "unknown",
      ...(request.version ? { expected: request.version } : {}),
      ...(request.windowText ? { window: request.windowText } : {}),
    });
    const stop = AbortSignal.any([stopping, this.#cancel.signal]);
    try {
      record.before = firmwareLabel(await system.firmware());
      log.info("upgrade accepted", { id, image: record.image, before: record.before });
      await journal.step("waiting");
      if (request.window) await this.#waitForWindow(request, watcher, stop);
      await this.#withTimeout(request.timeoutS * 1000, stop, async (signal) => {
        await this.#download(request, signal, watcher);
        await this.#test(signal);
      });
      await journal.step("verified");
      journal.send("VERIFIED", `image verified: sha256 ${request.sha256}, sysupgrade -T passed`);
      stop.throwIfAborted();
      this.#cancellable = false;
      await this.#flash(request, watcher);
    } catch (error) {
      const cancelled = stop.aborted && record.step !== "flashing";
      const by = this.#cancel.signal.aborted ? "cancelled by job-cancel" : "the agent stopped";
      const reason = cancelled
        ? `${by} at ${record.step}; nothing was flashed`
        : error instanceof Error
        ? error.message
        : String(error);
      await system.removeImage();
      watcher.settled(
        await journal.finish({ event_type: cancelled ? "CANCELLED" : "FAILED", reason }),
      );
    }
  }

  async #waitForWindow(request: UpgradeRequest, watcher: UpgradeWatcher, signal: AbortSignal) {
    const { ctx, box, journal, log } = this.#parts;
    const zone = await box.zone();
    await waitForWindow(request.window!, {
      clock: ctx.io.clock,
      zone,
      draw: box.random(),
      signal,
      planned: async (at) => {
        journal.record!.flash_at = at / 1000;
        await journal.save();
        const when = localTimeText(zone, at);
        watcher.note(
          `waits for its window ${request.windowText}: downloads and flashes at ${when}`,
        );
        log.info("upgrade waits for its window", { id: journal.record!.id, at: when });
      },
    });
  }

  async #download(request: UpgradeRequest, signal: AbortSignal, watcher: UpgradeWatcher) {
    const { ctx, box, journal, system, log } = this.#parts;
    await journal.step("downloading");
    watcher.note("downloading");
    const available = box.memoryAvailable();
    // Only the agent can write there: the bytes flashed are the bytes hashed.
    await privateDir(system.imageDir, ctx.io.fs);
    await fetchImage({
      url: request.url,
      sha256: request.sha256,
      path: system.imagePath,
      maxBytes: available === undefined
        ? Number.MAX_SAFE_INTEGER
        : Math.max(0, available - MEMORY_RESERVE),
      hosts: ctx.config.upgrade.hosts,
      signal,
      io: ctx.io,
      log,
      progress: ({ msg, fields }) => {
        Object.assign(
          journal.record!,
          { bytes: fields.bytes },
          fields.total ? { total: fields.total } : {},
        );
        journal.send("DOWNLOADING", msg, fields);
      },
    });
  }

  async #test(signal: AbortSignal): Promise<void> {
    const { journal, system } = this.#parts;
    await journal.step("testing");
    const result = await system.sysupgrade(["-T", system.imagePath], signal);
    if (result.exitCode !== 0) {
      const why = result.error ?? `exit ${result.exitCode}`;
      throw new Error(`sysupgrade -T refused the image (${why}): ${saidBy(result)}`);
    }
  }

  async #flash(request: UpgradeRequest, watcher: UpgradeWatcher): Promise<void> {
    const { box, journal, system, log } = this.#parts;
    const record = journal.record!;
    const boot = await box.bootId();
    if (boot) record.boot = boot;
    await journal.step("flashing");
    watcher.note("flashing; the answer comes after the reboot");
    await this.#parts.beforeFlash().catch((error) =>
      log.error("flush before the flash failed; flashing anyway", { error })
    );
    await journal.send(
      "FLASHING",
      `flashing; ${record.before} → ${record.expected ?? "new firmware"}`,
      {
        before: record.before,
        ...(record.expected ? { expected: record.expected } : {}),
      },
    );
    log.warn("flashing the firmware; the box reboots", { id: record.id });
    const args = [...(request.keep ? [] : ["-n"]), system.imagePath];
    // No abort signal: once flashing, a stopping agent must not kill sysupgrade half-way.
    const result = await system.sysupgrade(args);
    if (result.exitCode === 0) return;
    const why = result.error ?? `exit ${result.exitCode}`;
    await system.removeImage();
    const reason = `sysupgrade failed (${why}): ${saidBy(result)}`;
    watcher.settled(await journal.finish({ event_type: "FAILED", reason }));
  }

  /** Runs `work` with a signal that aborts after `ms` or with `stop`. */
  async #withTimeout(ms: number, stop: AbortSignal, work: (signal: AbortSignal) => Promise<void>) {
    const timer = new AbortController();
    const done = new AbortController();
    this.#parts.ctx.io.clock.sleep(ms, AbortSignal.any([stop, done.signal])).then(
      () => timer.abort(new Error(`download and test timed out after ${ms / 1000} s`)),
      () => {},
    );
    try {
      await work(AbortSignal.any([stop, timer.signal]));
    } finally {
      done.abort();
    }
  }
}
