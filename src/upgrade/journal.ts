/**
 * The upgrade in progress as the journal holds it, and its replies: every step is saved
 * before it starts, and the final answer is decided once, saved, sent, then marked sent.
 */
import type { CapabilityContext } from "../capability.ts";
import type { Logger } from "../log/mod.ts";
import { type JobReply, progressRoute, type ReplyRoute } from "../replies/mod.ts";
import {
  loadUpgrade,
  saveUpgrade,
  upgradeJournalPath,
  type UpgradeRecord,
  type UpgradeResult,
  type UpgradeStep,
} from "./record.ts";
import { upgradeReply } from "./reply.ts";

export const UPGRADE_COUNTERS = [
  "upgrades-started",
  "upgrades-processed",
  "upgrades-failed",
] as const;

/**
 * Sends a reply on `pub/...` (and where `route` says): what it returns resolves once the
 * reply is on the wire (undefined when it went within the call).
 */
export type SendReply = (reply: JobReply, route?: ReplyRoute) => Promise<void> | undefined;

/** The journal of the upgrade in progress, or of the last one. */
export class UpgradeJournal {
  readonly #ctx: CapabilityContext;
  readonly #log: Logger;
  readonly #send: SendReply;
  #record: UpgradeRecord | undefined;

  constructor(ctx: CapabilityContext, log: Logger, send: SendReply) {
    this.#ctx = ctx;
    this.#log = log;
    this.#send = send;
  }

  /** The upgrade in progress or the last one. */
  get record(): UpgradeRecord | undefined {
    return this.#record;
  }

  /** Reads the journal left by the agent before; a new box has none. */
  async load(): Promise<UpgradeRecord | undefined> {
    this.#record = await loadUpgrade(this.#path(), this.#ctx.io.fs);
    return this.#record;
  }

  /** Starts the record of an accepted upgrade (saved by its first step). */
  begin(record: Omit<UpgradeRecord, "step" | "since" | "accepted">): UpgradeRecord {
    const now = this.#seconds();
    this.#record = { ...record, step: "waiting", since: now, accepted: now };
    this.#ctx.counters.inc("upgrades-started");
    return this.#record;
  }

  /** Moves the upgrade to `step`, saved before it starts. */
  async step(step: UpgradeStep): Promise<void> {
    Object.assign(this.#record!, { step, since: this.#seconds() });
    await this.save();
  }

  async save(): Promise<void> {
    await saveUpgrade(this.#path(), this.#record!, this.#ctx.io.fs);
  }

  /** Sends a step's event; resolves once it is on the wire. */
  send(event: string, msg: string, extra: Record<string, unknown> = {}): Promise<void> {
    const record = this.#record!;
    const reply = upgradeReply(record.id, event, this.#replyCtx(), msg, extra);
    return this.#send(reply, progressRoute(record.route)) ?? Promise.resolve();
  }

  /** Decides the final answer: saved first, then sent, then marked sent. */
  async finish(result: UpgradeResult): Promise<JobReply> {
    const record = this.#record!;
    record.result = result;
    await this.step("done");
    const reply = this.#sendFinal(record);
    record.sent = true;
    await this.save();
    const { event_type: event, reason } = result;
    this.#ctx.counters.inc(event === "PROCESSED" ? "upgrades-processed" : "upgrades-failed");
    this.#log[event === "PROCESSED" ? "info" : "warn"]("upgrade answered", {
      id: record.id,
      event,
      reason,
    });
    return reply;
  }

  /** Sends again a final answer decided before a restart but not marked sent. */
  async resend(): Promise<void> {
    this.#sendFinal(this.#record!);
    this.#record!.sent = true;
    await this.save();
  }

  #sendFinal(record: UpgradeRecord): JobReply {
    const { event_type, reason, after } = record.result!;
    const reply = upgradeReply(record.id, event_type, this.#replyCtx(), reason, {
      before: record.before,
      ...(after ? { after } : {}),
      ...(event_type === "PROCESSED" ? {} : { reason }),
    });
    this.#send(reply, record.route);
    return reply;
  }

  #path(): string {
    return upgradeJournalPath(this.#ctx.config.state_dir);
  }

  #seconds(): number {
    return Math.floor(this.#ctx.io.clock.now() / 1000);
  }

  #replyCtx() {
    return { app: this.#ctx.config.app, now: this.#ctx.io.clock.now() };
  }
}
