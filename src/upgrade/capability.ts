/**
 * The `upgrade` capability: flashes the firmware a `sysupgrade` job names and answers it
 * after the reboot. Steps, each journaled before it starts: wait for the window, download
 * (capped by the memory left) while hashing, verify the SHA-256, `sysupgrade -T`, then
 * FLASHING: the spool is committed, the replies flushed, `sysupgrade [-n]` runs and the box
 * reboots. The agent that comes up after compares the running firmware with the expected
 * one, waits to be online, and sends PROCESSED or FAILED.
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
import { privateDir } from "../io/mod.ts";
import type { JobReply } from "../replies/mod.ts";
import { DownloadFailed, downloadImage, hostAllowed, shownUrl } from "./download.ts";
import { type Firmware, firmwareLabel, parseFirmware, verdictOf } from "./firmware.ts";
import {
  loadUpgrade,
  saveUpgrade,
  upgradeJournalPath,
  type UpgradeRecord,
  type UpgradeStep,
} from "./record.ts";
import type { UpgradeRequest } from "./request.ts";
import { upgradeReply } from "./reply.ts";
import { flashDelayMs, inWindow } from "./window.ts";
import { localMsOfDay, localTimeText, type TimeZone } from "./zone.ts";

/**
 * Where the image is kept: a directory of the agent's own in `upgrade.dir` (tmpfs, often a
 * shared /tmp), so that nobody else can link the download elsewhere or rewrite the image
 * between its check and the flash.
 */
export function imageDir(config: { dir: string }): string {
  return `${config.dir}/ledge-upgrade`;
}

/** What the upgrade needs of the rest of the agent. */
export interface UpgradeDeps {
  /** Sends a reply on `pub/...`. */
  send(reply: JobReply): void;
  /** Resolves once what was sent has left the process. */
  flushed(): Promise<void>;
  /** Writes what waits in memory (the stats spool's batch) before the flash. */
  beforeFlash(): Promise<void>;
  /** Whether the health watch says online now. */
  online(): Promise<boolean>;
  /** The box's time zone, in which a job's window is. */
  zone(): Promise<TimeZone>;
  /** This boot's id; undefined when the kernel does not say (a flash is then judged at once). */
  bootId(): Promise<string | undefined>;
  /** Bytes of memory available (MemAvailable); undefined when unknown. */
  memoryAvailable(): number | undefined;
  random(): number;
  /** Between online checks after the reboot (default 5 s). */
  onlinePollMs?: number;
}

/** Kept free beside the image: sysupgrade and the rest of the box need memory too. */
export const MEMORY_RESERVE = 16 * 1024 * 1024;
/** A download is tried this many times, from the start each time. */
const DOWNLOAD_ATTEMPTS = 3;
const RETRY_DELAY_MS = 5_000;
/** After the reboot, how long the agent waits to be online before it answers FAILED. */
const ONLINE_WAIT_MS = 10 * 60_000;
/**
 * An agent that finds the flash started in this same boot (it crashed and was respawned
 * while sysupgrade ran) waits this long for the reboot, which ends it: the agent after the
 * reboot answers. Still here after that, the flash did not happen.
 */
const REBOOT_WAIT_MS = 15 * 60_000;
/** The kernel's id of this boot (a new one at every boot). */
export const BOOT_ID = "/proc/sys/kernel/random/boot_id";
/** A wait for the window asks the clock again this often. */
const WINDOW_RECHECK_MS = 60_000;
/** DOWNLOADING is sent at each quarter, or every 8 MiB when the size is unknown. */
const PROGRESS_STEP_BYTES = 8 * 1024 * 1024;

export const UPGRADE_COUNTERS = [
  "upgrades-started",
  "upgrades-processed",
  "upgrades-failed",
] as const;

/** How an accepted upgrade job is followed: its state for `job-info`, its end. */
export interface UpgradeWatcher {
  /** Where it stands, for `job-info` ("waits for its window …"). */
  note(reason: string): void;
  /** The final answer, when it comes before the reboot. */
  settled(reply: JobReply): void;
}

/** An accepted upgrade job's hold on the upgrade. */
export interface UpgradeClaim {
  /** Runs the upgrade. */
  run(request: UpgradeRequest, watcher: UpgradeWatcher): Promise<void>;
  /** Gives the hold up without running (the job could not be journaled). */
  release(): void;
}

/** The `upgrade` capability. */
export class UpgradeService implements Capability {
  readonly name = "upgrade" as const;
  readonly #ctx: CapabilityContext;
  readonly #deps: UpgradeDeps;
  readonly #log;
  readonly #stop = new AbortController();
  #record: UpgradeRecord | undefined;
  /** The job that holds the upgrade from its acceptance on. */
  #claimed: string | undefined;
  /** Aborted by `cancel()` while the running upgrade has not reached FLASHING. */
  #cancel: AbortController | undefined;
  #work: Promise<void> = Promise.resolve();

  /** Registers `upgrade-status`; the journal is read in `start()`. */
  constructor(ctx: CapabilityContext, deps: UpgradeDeps) {
    this.#ctx = ctx;
    this.#deps = deps;
    this.#log = ctx.log.child("upgrade");
    ctx.counters.declare(...UPGRADE_COUNTERS);
    ctx.commands.register({
      name: "upgrade-status",
      description: "the firmware upgrade in progress, or the last one",
      capability: "upgrade",
      args: {},
      run: () => this.status() ?? null,
    });
  }

  get #config() {
    return this.#ctx.config.upgrade;
  }

  get #journalPath(): string {
    return upgradeJournalPath(this.#ctx.config.state_dir);
  }

  get #imagePath(): string {
    return `${imageDir(this.#config)}/sysupgrade.bin`;
  }

  async start(): Promise<void> {
    try {
      this.#record = await loadUpgrade(this.#journalPath, this.#ctx.io.fs);
    } catch (error) {
      // A journal we cannot read must not stop upgrades for good: say so, start afresh.
      this.#log.error("upgrade journal unreadable; it is replaced by the next upgrade", { error });
    }
    const record = this.#record;
    if (record && !(record.step === "done" && record.sent)) {
      this.#work = this.#resume(record).catch((error) =>
        this.#log.error("upgrade answer failed", { id: record.id, error })
      );
    }
    this.#log.info("upgrades ready", {
      hosts: this.#config.hosts.join(","),
      last: record ? `${record.id} ${record.step}` : "none",
    });
  }

  async stop(): Promise<void> {
    this.#stop.abort(new Error("the agent is stopping"));
    await this.#work;
  }

  state(): string {
    const record = this.#record;
    if (!record) return "no upgrade yet";
    return `job ${record.id}: ${record.step}${record.result ? ` ${record.result.event_type}` : ""}`;
  }

  /** The upgrade in progress or the last one, as `upgrade-status` shows it. */
  status(): UpgradeRecord | undefined {
    return this.#record && structuredClone(this.#record);
  }

  /** Why this upgrade cannot be accepted now; undefined when it can. */
  refusal(request: UpgradeRequest): string | undefined {
    if (!hostAllowed(request.url, this.#config.hosts)) {
      const host = new URL(request.url).host;
      return `image host ${host} is not in upgrade.hosts (${this.#config.hosts.join(", ")})`;
    }
    if (this.#claimed !== undefined && this.#record?.id !== this.#claimed) {
      return `an upgrade is in progress: job ${this.#claimed} (accepted)`;
    }
    const record = this.#record;
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
    const step = this.#record?.id === id ? this.#record.step : undefined;
    if (!this.#cancel || step === undefined || step === "flashing" || step === "done") {
      return false;
    }
    this.#cancel.abort(new Error("cancelled"));
    return true;
  }

  /**
   * Reserves the upgrade for an accepted job, at once: a second one is refused from now.
   * `run` (once its DELIVERED is out) resolves when it is answered, or when the box is
   * about to reboot (the answer then comes from the agent after it).
   */
  claim(id: string): UpgradeClaim {
    this.#claimed = id;
    const release = () => void (this.#claimed = undefined);
    return {
      run: (request, watcher) => {
        const work = this.#upgrade(id, request, watcher).finally(release);
        this.#work = work.catch(() => {});
        return work;
      },
      release,
    };
  }

  async #upgrade(id: string, request: UpgradeRequest, watcher: UpgradeWatcher): Promise<void> {
    const now = this.#seconds();
    const record: UpgradeRecord = {
      id,
      image: shownUrl(request.url),
      sha256: request.sha256,
      keep: request.keep,
      before: "unknown",
      ...(request.version ? { expected: request.version } : {}),
      ...(request.windowText ? { window: request.windowText } : {}),
      step: "waiting",
      since: now,
      accepted: now,
    };
    this.#record = record;
    this.#ctx.counters.inc("upgrades-started");
    const cancel = this.#cancel = new AbortController();
    const stop = AbortSignal.any([this.#stop.signal, cancel.signal]);
    try {
      record.before = firmwareLabel(await this.#firmware());
      this.#log.info("upgrade accepted", { id, image: record.image, before: record.before });
      await this.#step("waiting");
      await this.#waitForWindow(request, watcher, stop);
      await this.#withTimeout(request.timeoutS * 1000, stop, async (signal) => {
        await this.#download(request, signal, watcher);
        await this.#test(signal);
      });
      await this.#step("verified");
      this.#send("VERIFIED", `image verified: sha256 ${request.sha256}, sysupgrade -T passed`);
      stop.throwIfAborted();
      this.#cancel = undefined;
      await this.#flash(request, watcher);
    } catch (error) {
      const cancelled = stop.aborted && record.step !== "flashing";
      const by = cancel.signal.aborted ? "cancelled by job-cancel" : "the agent stopped";
      const reason = cancelled
        ? `${by} at ${record.step}; nothing was flashed`
        : error instanceof Error
        ? error.message
        : String(error);
      await this.#removeImage();
      watcher.settled(await this.#finish(cancelled ? "CANCELLED" : "FAILED", reason));
    } finally {
      this.#cancel = undefined;
    }
  }

  /**
   * Waits for a moment drawn in the window, in the box's own zone. The wait is taken a
   * minute at a time and the clock asked again each time: a box without a clock battery may
   * get its time from NTP while it waits, and must not flash at the hour of before.
   */
  async #waitForWindow(
    request: UpgradeRequest,
    watcher: UpgradeWatcher,
    stop: AbortSignal,
  ): Promise<void> {
    const window = request.window;
    if (!window) return;
    const { clock } = this.#ctx.io;
    const zone = await this.#deps.zone();
    const draw = this.#deps.random();
    let noted: number | undefined;
    for (;;) {
      const delay = flashDelayMs(window, localMsOfDay(zone, clock.now()), draw);
      if (delay === 0) return;
      const at = Math.floor((clock.now() + delay) / 60_000) * 60;
      if (at !== noted) {
        noted = at;
        this.#record!.flash_at = at;
        await this.#save();
        const when = localTimeText(zone, at * 1000);
        watcher.note(
          `waits for its window ${request.windowText}: downloads and flashes at ${when}`,
        );
        this.#log.info("upgrade waits for its window", { id: this.#record!.id, at: when });
      }
      if (delay <= WINDOW_RECHECK_MS) {
        await clock.sleep(delay, stop);
        if (inWindow(window, localMsOfDay(zone, clock.now()))) return;
      } else await clock.sleep(WINDOW_RECHECK_MS, stop);
    }
  }

  async #download(request: UpgradeRequest, signal: AbortSignal, watcher: UpgradeWatcher) {
    await this.#step("downloading");
    watcher.note("downloading");
    const available = this.#deps.memoryAvailable();
    const maxBytes = available === undefined
      ? Number.MAX_SAFE_INTEGER
      : Math.max(0, available - MEMORY_RESERVE);
    let sentAt = -1;
    const progress = (bytes: number, total: number | undefined) => {
      const step = total
        ? Math.floor((bytes / total) * 4)
        : Math.floor(bytes / PROGRESS_STEP_BYTES);
      if (step === sentAt) return;
      sentAt = step;
      const percent = total ? Math.floor((bytes / total) * 100) : undefined;
      Object.assign(this.#record!, { bytes, ...(total ? { total } : {}) });
      this.#send(
        "DOWNLOADING",
        `downloading ${percent ?? bytes}${percent === undefined ? " bytes" : "%"}`,
        {
          ...(percent === undefined ? {} : { progress: percent }),
          bytes,
          ...(total ? { total } : {}),
        },
      );
    };
    // Only the agent can write there: the bytes flashed are the bytes hashed.
    await privateDir(imageDir(this.#config), this.#ctx.io.fs);
    for (let attempt = 1;; attempt++) {
      try {
        const got = await downloadImage(
          {
            url: request.url,
            path: this.#imagePath,
            maxBytes,
            hosts: this.#config.hosts,
            signal,
            progress,
          },
          this.#ctx.io.net,
          this.#ctx.io.fs,
        );
        if (got.sha256 !== request.sha256) {
          throw new Error(
            `sha256 mismatch: the image is ${got.sha256}, expected ${request.sha256}`,
          );
        }
        return;
      } catch (error) {
        signal.throwIfAborted();
        const retry = error instanceof DownloadFailed && error.retry && attempt < DOWNLOAD_ATTEMPTS;
        if (!retry) throw error;
        this.#log.warn("download failed; trying again from the start", { attempt, error });
        sentAt = -1;
        await this.#ctx.io.clock.sleep(RETRY_DELAY_MS * attempt, signal);
      }
    }
  }

  async #test(signal: AbortSignal): Promise<void> {
    await this.#step("testing");
    const result = await this.#sysupgrade(["-T", this.#imagePath], signal);
    if (result.exitCode !== 0) {
      const why = result.error ?? `exit ${result.exitCode}`;
      throw new Error(`sysupgrade -T refused the image (${why}): ${result.output.trim()}`);
    }
  }

  async #flash(request: UpgradeRequest, watcher: UpgradeWatcher): Promise<void> {
    const record = this.#record!;
    const boot = await this.#deps.bootId();
    if (boot) record.boot = boot;
    await this.#step("flashing");
    watcher.note("flashing; the answer comes after the reboot");
    await this.#deps.beforeFlash().catch((error) =>
      this.#log.error("flush before the flash failed; flashing anyway", { error })
    );
    this.#send("FLASHING", `flashing; ${record.before} → ${record.expected ?? "new firmware"}`, {
      before: record.before,
      ...(record.expected ? { expected: record.expected } : {}),
    });
    await this.#deps.flushed();
    this.#log.warn("flashing the firmware; the box reboots", { id: record.id });
    const args = [...(request.keep ? [] : ["-n"]), this.#imagePath];
    // No abort signal: once flashing, a stopping agent must not kill sysupgrade half-way.
    const result = await this.#sysupgrade(args);
    if (result.exitCode === 0) return;
    const why = result.error ?? `exit ${result.exitCode}`;
    await this.#removeImage();
    watcher.settled(
      await this.#finish("FAILED", `sysupgrade failed (${why}): ${result.output.trim()}`),
    );
  }

  /** After a restart: answers an upgrade the previous agent left unanswered. */
  async #resume(record: UpgradeRecord): Promise<void> {
    if (!record.result) {
      if (record.step === "flashing") return await this.#judge(record);
      await this.#removeImage();
      await this.#finish(
        "FAILED",
        `the agent restarted at ${record.step}; nothing was flashed`,
      );
      return;
    }
    this.#sendFinal(record);
    record.sent = true;
    await this.#save();
  }

  /** The first agent after the flash: did it take, and is the box online? */
  async #judge(record: UpgradeRecord): Promise<void> {
    if (record.boot && record.boot === await this.#deps.bootId()) {
      this.#log.warn("restarted while sysupgrade may still run: waiting for the reboot", {
        id: record.id,
      });
      await this.#ctx.io.clock.sleep(REBOOT_WAIT_MS, this.#stop.signal);
      const minutes = REBOOT_WAIT_MS / 60_000;
      return void await this.#finish(
        "FAILED",
        `the box did not reboot within ${minutes} minutes of the flash: nothing was flashed`,
      );
    }
    const running = await this.#firmware();
    const verdict = verdictOf(record.before, running, record.expected);
    const online = await this.#awaitOnline();
    const after = firmwareLabel(running);
    if (!verdict.ok) return void await this.#finish("FAILED", verdict.reason, after);
    if (!online) {
      const minutes = ONLINE_WAIT_MS / 60_000;
      return void await this.#finish(
        "FAILED",
        `upgraded to ${after}, but offline for ${minutes} minutes after the reboot`,
        after,
      );
    }
    await this.#finish("PROCESSED", `upgraded from ${record.before} to ${after}`, after);
  }

  async #awaitOnline(): Promise<boolean> {
    const { clock } = this.#ctx.io;
    const end = clock.monotonic() + ONLINE_WAIT_MS;
    for (;;) {
      if (await this.#deps.online()) return true;
      if (clock.monotonic() >= end || this.#stop.signal.aborted) return false;
      await clock.sleep(this.#deps.onlinePollMs ?? 5_000, this.#stop.signal).catch(() => {});
    }
  }

  /** Decides the final answer: journaled first, then sent, then marked sent. */
  async #finish(
    event: "PROCESSED" | "FAILED" | "CANCELLED",
    reason: string,
    after?: string,
  ): Promise<JobReply> {
    const record = this.#record!;
    record.result = { event_type: event, reason, ...(after ? { after } : {}) };
    await this.#step("done");
    const reply = this.#sendFinal(record);
    record.sent = true;
    await this.#save();
    this.#ctx.counters.inc(event === "PROCESSED" ? "upgrades-processed" : "upgrades-failed");
    this.#log[event === "PROCESSED" ? "info" : "warn"]("upgrade answered", {
      id: record.id,
      event,
      reason,
    });
    return reply;
  }

  #sendFinal(record: UpgradeRecord): JobReply {
    const { event_type, reason, after } = record.result!;
    const reply = upgradeReply(record.id, event_type, this.#replyCtx(), reason, {
      before: record.before,
      ...(after ? { after } : {}),
      ...(event_type === "PROCESSED" ? {} : { reason }),
    });
    this.#deps.send(reply);
    return reply;
  }

  #send(event: string, msg: string, extra: Record<string, unknown> = {}): void {
    this.#deps.send(upgradeReply(this.#record!.id, event, this.#replyCtx(), msg, extra));
  }

  async #step(step: UpgradeStep): Promise<void> {
    Object.assign(this.#record!, { step, since: this.#seconds() });
    await this.#save();
  }

  async #save(): Promise<void> {
    await saveUpgrade(this.#journalPath, this.#record!, this.#ctx.io.fs);
  }

  async #firmware(): Promise<Firmware> {
    try {
      const text = await this.#ctx.io.fs.readTextFile(this.#config.release_file, {
        maxBytes: 16 * 1024,
      });
      return parseFirmware(text);
    } catch (error) {
      this.#log.warn("firmware unknown", { file: this.#config.release_file, error });
      return {};
    }
  }

  #sysupgrade(args: string[], signal?: AbortSignal) {
    return this.#ctx.io.exec.run({
      argv: [this.#config.program, ...args],
      timeoutMs: 10 * 60_000,
      outputMax: 4096,
      signal,
    });
  }

  /** Runs `work` with a signal that aborts after `ms` or with `stop`. */
  async #withTimeout(
    ms: number,
    stop: AbortSignal,
    work: (signal: AbortSignal) => Promise<void>,
  ): Promise<void> {
    const timer = new AbortController();
    const done = new AbortController();
    this.#ctx.io.clock.sleep(ms, AbortSignal.any([stop, done.signal])).then(
      () => timer.abort(new Error(`download and test timed out after ${ms / 1000} s`)),
      () => {},
    );
    try {
      await work(AbortSignal.any([stop, timer.signal]));
    } finally {
      done.abort();
    }
  }

  async #removeImage(): Promise<void> {
    await this.#ctx.io.fs.remove(this.#imagePath).catch(() => {});
  }

  #seconds(): number {
    return Math.floor(this.#ctx.io.clock.now() / 1000);
  }

  #replyCtx() {
    return { app: this.#ctx.config.app, now: this.#ctx.io.clock.now() };
  }
}
