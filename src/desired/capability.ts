/**
 * The `desired` capability: takes the retained desired state from `config/...`, applies it
 * (config file keys and UCI options), confirms it, or rolls it back, and reports on
 * `state/...` (retained).
 *
 * Decisions worth knowing:
 * - Before anything is written, what will change is backed up and the change is journaled
 *   as pending (fsync): an agent that dies in the confirm window rolls it back at its next
 *   start.
 * - Confirmed means: a health round run after the change says online and, when MQTT was
 *   up before, the session is up again, within `desired.confirm_s`.
 * - A version not above the one handled last is not applied: the same version again is
 *   the broker re-delivering the retained message, and is ignored; a lower one is
 *   answered `rejected`. A rolled-back version counts as handled (it is not retried).
 * - One state at a time: one that arrives while another is confirmed waits, and only the
 *   newest waiting one is applied.
 */
import type { Capability, CapabilityContext } from "../capability.ts";
import { parseJsonc, redactConfig, validateConfig } from "../config/mod.ts";
import { LogThrottle, REDACTED } from "../log/mod.ts";
import { notFound } from "../control/mod.ts";
import { writeFileAtomic } from "../io/mod.ts";
import { checkSignature } from "../signing/mod.ts";
import { checkDesired, type Desired, parseDesired, withKeys } from "./desired.ts";
import {
  type Backup,
  type Change,
  type DesiredFile,
  desiredFilePath,
  loadDesired,
  type Report,
  saveDesired,
} from "./store.ts";
import { Uci } from "./uci.ts";
import type { UciValue } from "../openwrt/mod.ts";

/** What the desired state needs of the rest of the agent. */
export interface DesiredDeps {
  /** Publishes the report on `state/...` (retained); rejects while offline. */
  publish(report: string): Promise<void>;
  /** A health round run now: online or not. */
  online(): Promise<boolean>;
  /** Whether the MQTT session is up. */
  mqttUp(): boolean;
  /** Between confirm checks (default 3 s). */
  confirmPollMs?: number;
}

/**
 * Rejections are published at most once in this period, the last one at its end: a flood of
 * refused states (each a retained publish) costs the broker one message in ten seconds.
 */
const REJECTION_PERIOD_MS = 10_000;

/** UCI options shown as `***` in a report, by name: keys, passwords, secrets, PSKs. */
const SECRET_OPTION = /(^|_)(key|password|secret|psk|passphrase)$/;

export const DESIRED_COUNTERS = [
  "desired-received",
  "desired-applied",
  "desired-rolled-back",
  "desired-rejected",
] as const;

/** The `desired` capability. */
export class DesiredCapability implements Capability {
  readonly name = "desired" as const;
  readonly #ctx: CapabilityContext;
  readonly #deps: DesiredDeps;
  readonly #log;
  readonly #stop = new AbortController();
  #file: DesiredFile = { handled: 0 };
  /** The last state received, as it came (for `ledge ctl desired`). */
  #last: Desired | undefined;
  /** States are applied one after the other. */
  #work: Promise<void> = Promise.resolve();
  /** The newest state waiting for the one being applied or confirmed. */
  #waiting: Desired | undefined;
  readonly #rejections: LogThrottle;
  /** Monotonic ms of the last rejection published; a later one waits for its period. */
  #rejectionSentAt = -Infinity;
  #rejectionQueued = false;

  /** Registers `desired` and `rollback`; the file is read in `start()`. */
  constructor(ctx: CapabilityContext, deps: DesiredDeps) {
    this.#ctx = ctx;
    this.#deps = deps;
    this.#log = ctx.log.child("desired");
    this.#rejections = new LogThrottle(
      ctx.io.clock,
      REJECTION_PERIOD_MS,
      (_, suppressed) => this.#log.warn(`${suppressed} more desired states rejected`),
    );
    ctx.counters.declare(...DESIRED_COUNTERS);
    ctx.commands.register({
      name: "desired",
      description: "the last desired state, the applied one, the one being confirmed, the report",
      capability: "desired",
      args: {},
      run: () => ({
        last: shown(this.#last),
        applied: shown(this.#file.applied?.desired),
        confirming: shown(this.#file.pending?.desired),
        report: this.#file.report ?? null,
      }),
    });
    ctx.commands.register({
      name: "rollback",
      description: "restores what the last applied desired state replaced",
      capability: "desired",
      args: {},
      run: async () => {
        const applied = this.#file.applied;
        if (!applied) throw notFound("applied desired state");
        await this.#serially(() => this.#rollBack(applied, "rolled back by ledge ctl rollback"));
        return this.#file.report;
      },
    });
  }

  get #path(): string {
    return desiredFilePath(this.#ctx.config.state_dir);
  }

  get #uci(): Uci {
    const { uci, reload } = this.#ctx.config.desired!;
    return new Uci(this.#ctx.io.exec, uci, reload);
  }

  async start(): Promise<void> {
    this.#file = await loadDesired(this.#path, this.#ctx.io.fs);
    const pending = this.#file.pending;
    // Not awaited: a rollback reloads the agent, which waits for this start to finish.
    if (pending) {
      void this.#serially(() =>
        this.#rollBack(pending, "the agent restarted during the confirm window")
      );
    }
    this.#log.info("desired state ready", {
      handled: this.#file.handled,
      confirming: pending?.desired.version ?? "none",
    });
  }

  async stop(): Promise<void> {
    this.#stop.abort(new Error("the agent is stopping"));
    this.#rejections.close();
    await this.#work;
  }

  state(): string {
    const { handled, pending, report } = this.#file;
    if (pending) return `confirming version ${pending.desired.version}`;
    return `version ${handled} handled${report ? `, ${report.status}` : ""}`;
  }

  /**
   * Takes one payload from `config/...`; never throws. Resolves once it is checked and
   * queued, not applied: the session handles its messages one at a time, and jobs must not
   * wait for a confirm window. The retained message comes again at each connect anyway.
   */
  async receive(payload: Uint8Array): Promise<void> {
    this.#ctx.counters.inc("desired-received");
    if (payload.length === 0) return; // the retained message was cleared
    const parsed = parseDesired(payload);
    if (!parsed.ok) {
      void this.#serially(() => this.#reject(parsed.version ?? 0, parsed.reason));
      return;
    }
    const { desired, raw } = parsed;
    this.#last = desired;
    const secret = this.#ctx.config.job_secret;
    // Retained for as long as it is desired: signed, but no age limit (versions only rise).
    const bad = secret
      ? await checkSignature(raw, secret, 0, Infinity, "canonical", this.#ctx.mac)
      : undefined;
    if (bad) {
      void this.#serially(() => this.#reject(desired.version, bad));
      return;
    }
    // Only the newest of those that arrive while one is applied or confirmed is applied.
    const queued = this.#waiting !== undefined;
    this.#waiting = desired;
    if (!queued) void this.#serially(() => this.#next());
  }

  /** Sends the report the broker does not have yet (after a connect). */
  onConnect(): void {
    const report = this.#file.report;
    if (report && !report.sent) void this.#serially(() => this.#publish({ save: true }));
  }

  #serially(step: () => Promise<void>): Promise<void> {
    const next = this.#work.then(step).catch((error) =>
      this.#log.error("desired state step failed", { error })
    );
    this.#work = next;
    return next;
  }

  async #consider(desired: Desired): Promise<void> {
    const { handled } = this.#file;
    if (desired.version === handled) return; // the retained message again
    if (desired.version < handled) {
      return await this.#reject(
        desired.version,
        `version ${desired.version} is not above ${handled}, handled already`,
      );
    }
    const configFile = this.#ctx.configFile;
    if (!configFile && Object.keys(desired.ledge).length > 0) {
      return await this.#reject(desired.version, "the agent runs without a config file");
    }
    const rules = this.#ctx.config.desired!;
    const current = configFile ? await this.#readConfigFile(configFile.path) : {};
    const preset = this.#ctx.preset;
    const checked = checkDesired(desired, {
      allowKeys: rules.allow_keys,
      uciPackages: rules.uci_packages,
      presetOf: preset && ((file) => {
        const valid = validateConfig(file);
        return valid.ok ? preset(valid.config).join("\n") : "";
      }),
    }, current);
    if ("reason" in checked) return await this.#reject(desired.version, checked.reason);
    await this.#apply(desired, current, checked.file);
  }

  async #apply(desired: Desired, current: Record<string, unknown>, next: Record<string, unknown>) {
    const backup: Backup = { ledge: {}, uci: {} };
    try {
      for (const key of Object.keys(desired.ledge)) backup.ledge[key] = current[key] ?? null;
      backup.uci = await this.#uci.read(Object.keys(desired.uci));
    } catch (error) {
      return await this.#reject(desired.version, `cannot back up: ${describe(error)}`);
    }
    const change: Change = { desired, backup };
    this.#file = {
      ...this.#file,
      handled: desired.version,
      pending: { ...change, mqttWasUp: this.#deps.mqttUp() },
    };
    await this.#save();
    this.#log.info("applying desired state", { version: desired.version });
    const written = await this.#write(desired.ledge, desired.uci, next).then(
      () => undefined,
      (error) => describe(error),
    );
    const failed = written ?? await this.#confirm(this.#file.pending!.mqttWasUp);
    if (failed) return await this.#rollBack(change, failed);
    this.#file = { ...this.#file, applied: change, pending: undefined };
    this.#ctx.counters.inc("desired-applied");
    await this.#report({ version: desired.version, status: "applied" }, desired);
  }

  /** Writes the config file's keys and the UCI options, then reloads what changed. */
  async #write(
    ledge: Record<string, unknown>,
    uci: Record<string, UciValue | null>,
    file: Record<string, unknown>,
  ): Promise<void> {
    const configFile = this.#ctx.configFile;
    if (configFile && Object.keys(ledge).length > 0) {
      await writeFileAtomic(
        configFile.path,
        JSON.stringify(file, null, 2) + "\n",
        0o600,
        this.#ctx.io.fs,
      );
      const reloaded = await configFile.reload();
      if (!reloaded.ok) throw new Error(`reload refused: ${reloaded.errors.join("; ")}`);
    }
    const paths = Object.keys(uci);
    if (paths.length === 0) return;
    const box = this.#uci;
    for (const path of paths) await box.put(path, uci[path]);
    await box.commit([...new Set(paths.map((path) => path.split(".")[0]))]);
    await box.reload();
  }

  /**
   * Why the change is not confirmed within `confirm_s`; undefined once it is. The services
   * take the change after `reload_config` returns (procd runs its triggers a second later, and
   * a reload takes what it takes): only rounds that start `settle_s` after the change count,
   * and they must stay good (online, and MQTT back when it was up) for `settle_s` more.
   */
  async #confirm(mqttWasUp: boolean): Promise<string | undefined> {
    const { clock } = this.#ctx.io;
    const { confirm_s, settle_s } = this.#ctx.config.desired!;
    const settleMs = settle_s * 1000;
    const end = clock.monotonic() + confirm_s * 1000;
    const signal = this.#stop.signal;
    await clock.sleep(settleMs, signal).catch(() => {});
    let goodSince: number | undefined;
    for (;;) {
      const round = clock.monotonic();
      const online = await this.#deps.online();
      const mqtt = !mqttWasUp || this.#deps.mqttUp();
      if (online && mqtt) {
        goodSince ??= round;
        if (clock.monotonic() - goodSince >= settleMs) return undefined;
      } else goodSince = undefined;
      if (clock.monotonic() >= end || signal.aborted) {
        if (goodSince !== undefined) {
          return `not good for ${settle_s} s in a row within ${confirm_s} s after applying`;
        }
        return `${online ? "MQTT not back" : "offline"} ${confirm_s} s after applying`;
      }
      await clock.sleep(this.#deps.confirmPollMs ?? 3_000, signal).catch(() => {});
    }
  }

  /** Restores what `change` replaced, reloads, and reports the rollback. */
  async #rollBack(change: Change, reason: string): Promise<void> {
    const { desired, backup } = change;
    this.#log.warn("rolling back desired state", { version: desired.version, reason });
    let restored = "";
    try {
      const configFile = this.#ctx.configFile;
      const file = configFile ? await this.#readConfigFile(configFile.path) : {};
      await this.#write(backup.ledge, backup.uci, withKeys(file, backup.ledge));
    } catch (error) {
      restored = `; the rollback failed too: ${describe(error)}`;
    }
    const applied = this.#file.applied?.desired.version === desired.version
      ? undefined
      : this.#file.applied;
    this.#file = { ...this.#file, applied, pending: undefined };
    this.#ctx.counters.inc("desired-rolled-back");
    await this.#report(
      { version: desired.version, status: "rolled_back", reason: reason + restored },
      desired,
    );
  }

  /**
   * Says why a state is refused. A flood of refusals writes nothing to flash (the report is
   * kept in memory until the next step saves the file) and publishes one report a period,
   * the last one at the period's end; the log gets one line a period.
   */
  async #reject(version: number, reason: string): Promise<void> {
    this.#ctx.counters.inc("desired-rejected");
    this.#rejections.note(
      "rejected",
      () => this.#log.warn("desired state rejected", { version, reason }),
    );
    this.#file = {
      ...this.#file,
      report: { ...this.#outcome({ version, status: "rejected", reason }, {}), sent: false },
    };
    const { clock } = this.#ctx.io;
    const wait = this.#rejectionSentAt + REJECTION_PERIOD_MS - clock.monotonic();
    if (wait <= 0) return await this.#publishRejection();
    if (this.#rejectionQueued) return;
    this.#rejectionQueued = true;
    clock.sleep(wait, this.#stop.signal).then(
      () => this.#serially(() => this.#publishRejection()),
      () => {},
    );
  }

  async #publishRejection(): Promise<void> {
    this.#rejectionQueued = false;
    if (this.#file.report?.status !== "rejected" || this.#file.report.sent) return;
    this.#rejectionSentAt = this.#ctx.io.clock.monotonic();
    await this.#publish({ save: false });
  }

  /** Applies the newest state that waited. */
  async #next(): Promise<void> {
    const waiting = this.#waiting;
    this.#waiting = undefined;
    if (waiting) await this.#consider(waiting);
  }

  /** Reports an applied or rolled-back state: what is on the box now, kept and published. */
  async #report(
    outcome: Pick<Report, "version" | "status" | "reason">,
    desired: Desired,
  ): Promise<void> {
    const report = this.#outcome(outcome, await this.#reported(desired));
    this.#file = { ...this.#file, report: { ...report, sent: false } };
    await this.#save();
    await this.#publish({ save: true });
  }

  #outcome(
    outcome: Pick<Report, "version" | "status" | "reason">,
    reported: Report["reported"],
  ): Report {
    const applied = this.#file.applied?.desired.version ?? 0;
    return {
      ...outcome,
      applied,
      reported,
      timestamp: Math.floor(this.#ctx.io.clock.now() / 1000),
    };
  }

  /**
   * The current value of every key and UCI option `desired` names. Retained on the broker:
   * secrets are `***`, config keys as `ctl config` shows them, UCI options by their name.
   */
  async #reported(desired: Desired): Promise<Report["reported"]> {
    const reported: Report["reported"] = {};
    const configFile = this.#ctx.configFile;
    const keys = Object.keys(desired.ledge);
    if (keys.length > 0 && configFile) {
      const file = await this.#readConfigFile(configFile.path).catch(() => ({}));
      reported.ledge = redactConfig(Object.fromEntries(
        keys.map((key) => [key, (file as Record<string, unknown>)[key] ?? null]),
      ));
    }
    const paths = Object.keys(desired.uci);
    if (paths.length > 0) {
      const values = await this.#uci.read(paths).catch(() => ({} as Record<string, null>));
      reported.uci = Object.fromEntries(paths.map((path) => {
        const value = values[path] ?? null;
        const option = path.slice(path.lastIndexOf(".") + 1);
        return [path, value !== null && SECRET_OPTION.test(option) ? REDACTED : value];
      }));
    }
    return reported;
  }

  async #publish({ save }: { save: boolean }): Promise<void> {
    const report = this.#file.report;
    if (!report) return;
    const { sent: _, ...wire } = report;
    try {
      await this.#deps.publish(JSON.stringify(wire));
    } catch (error) {
      this.#log.debug("state report waits for the broker", { error });
      return;
    }
    this.#file = { ...this.#file, report: { ...report, sent: true } };
    if (save) await this.#save();
  }

  async #readConfigFile(path: string): Promise<Record<string, unknown>> {
    const parsed = parseJsonc(await this.#ctx.io.fs.readTextFile(path, { maxBytes: 1 << 20 }));
    if (!parsed.ok) throw new Error(`${path}: ${parsed.errors[0]}`);
    const value = parsed.value;
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new Error(`${path}: not a JSON object`);
    }
    return { ...value as Record<string, unknown> };
  }

  async #save(): Promise<void> {
    await saveDesired(this.#path, this.#file, this.#ctx.io.fs);
  }
}

/** A desired state as `ledge ctl desired` shows it: its secrets `***`. */
function shown(desired: Desired | undefined) {
  return desired ? { ...desired, ledge: redactConfig(desired.ledge) } : null;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
