/**
 * Every answer the jobs give, in one place: sent through the reply channel, counted, kept
 * in the history, logged. Refusals are logged one line per kind a minute, then the count of
 * the others, so a flood of bad payloads cannot flood the log; they are kept in memory
 * only, so a flood writes nothing to flash.
 */
import type { CapabilityContext } from "../capability.ts";
import { type Logger, LogThrottle } from "../log/mod.ts";
import {
  deliveredReply,
  type JobReply,
  type Outcome,
  type Refusal,
  refusalReply,
  type ReplyChannel,
  type ReplyRoute,
} from "../replies/mod.ts";
import type { JobHistory, JobRecord, JobState } from "./history.ts";
import { COUNTER_OF } from "./outcome.ts";

/** At most one log line per kind of refusal in this period; the rest are counted. */
const REFUSAL_LOG_PERIOD_MS = 60_000;

/** Sends, counts and keeps the answers of the jobs. */
export class JobAnswers {
  readonly #ctx: CapabilityContext;
  readonly #log: Logger;
  readonly #replies: ReplyChannel;
  readonly #history: () => JobHistory | undefined;
  readonly #refusals: LogThrottle;

  constructor(
    ctx: CapabilityContext,
    log: Logger,
    replies: ReplyChannel,
    history: () => JobHistory | undefined,
  ) {
    this.#ctx = ctx;
    this.#log = log;
    this.#replies = replies;
    this.#history = history;
    this.#refusals = new LogThrottle(
      ctx.io.clock,
      REFUSAL_LOG_PERIOD_MS,
      (kind, suppressed) => log.warn(`${suppressed} more like it`, { kind }),
    );
  }

  /**
   * Sends DELIVERED; what it returns resolves once it is on the wire (see ReplyChannel).
   * `route`, here and below: what the job's message asked of its replies (MQTT 5).
   */
  delivered(id: string, route?: ReplyRoute): Promise<void> | undefined {
    return this.#replies.send("delivery", deliveredReply(id, this.context()), route);
  }

  /**
   * Answers a job without a usable id: not run (no id, no protection against running it
   * twice), a `REJECTED` on `delivery/...` under a generated `sm_` id, where SocketMan sent
   * its DELIVERED for such a job, so that the back end sees why.
   */
  refuseAnonymous(reason: string): void {
    const id = `sm_${crypto.randomUUID().replaceAll("-", "")}`;
    this.refuse(undefined, "REJECTED", `${reason} (answered as ${id})`);
    this.#replies.send("delivery", refusalReply(id, "REJECTED", this.context(), reason));
  }

  /** Answers a job that does not run (when its id is known), counts and logs it. */
  refuse(id: string | undefined, refusal: Refusal, reason?: string, route?: ReplyRoute): void {
    this.#ctx.counters.inc(COUNTER_OF[refusal]);
    // One line per kind of refusal a period, however many payloads of that kind come.
    const kind = `${refusal.toLowerCase()}${reason ? `: ${reason.split(":")[0]}` : ""}`;
    this.#refusals.note(kind, () => this.#log.warn(`job ${refusal.toLowerCase()}`, { id, reason }));
    if (id === undefined) return;
    this.#history()?.remember({
      id,
      type: "",
      command: "",
      state: refusal,
      received: Math.floor(this.#ctx.io.clock.now() / 1000),
      ...(reason ? { reason } : {}),
    });
    this.#replies.send("result", refusalReply(id, refusal, this.context(), reason), route);
  }

  /** Answers an accepted job whose id never reached the disk: it did not run. */
  unjournaled(record: JobRecord, route?: ReplyRoute): void {
    const reply = refusalReply(record.id, "REJECTED", this.context(), "journal unavailable");
    this.settle(record, reply, route);
  }

  /** Sends the final answer of an accepted job, then records and keeps it. */
  settle(record: JobRecord, reply: JobReply, route?: ReplyRoute): void {
    this.#replies.send("result", reply, route);
    this.keep(record, reply);
  }

  /** Records and keeps the final answer of an accepted job (sent by whoever decided it). */
  keep(record: JobRecord, reply: JobReply): void {
    record.state = reply.event_type as JobState;
    if (typeof reply.reason === "string") record.reason = reply.reason;
    // A program that ran and exited non-zero is PROCESSED on the wire, a failure here.
    const failed = reply.event_type === "PROCESSED" && reply.success === false;
    this.#ctx.counters.inc(
      failed ? "jobs-failed" : COUNTER_OF[reply.event_type as Outcome | Refusal],
    );
    this.#history()?.keep(record).catch((error) =>
      this.#log.warn("job history not written", { id: record.id, error })
    );
  }

  /** What every reply carries: the app and the time now. */
  context(): { app: string; now: number } {
    return { app: this.#ctx.config.app, now: this.#ctx.io.clock.now() };
  }

  /** Ends the refusal log's periods (at stop), without their counts. */
  close(): void {
    this.#refusals.close();
  }
}
