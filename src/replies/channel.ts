/**
 * Where job replies go: a reply goes straight to the transport (MQTT, or the REST API) when
 * it is up and nothing is waiting; otherwise (or when that fails) it joins the on-disk
 * outbox, which is drained in order once the transport is back. `send` never fails or
 * blocks the job runner.
 */
import { fullJitterDelay } from "../backoff.ts";
import type { Counters } from "../counters.ts";
import type { Clock } from "../io/mod.ts";
import type { Logger } from "../log/mod.ts";
import type { Outbox, OutboxEntry } from "./outbox.ts";
import type { ReplyRoute } from "./route.ts";
import type { JobReply, ReplyKind } from "./wire.ts";
import { boundReply, MIN_REPLY_BYTES } from "./bound.ts";

/** What the jobs send their replies through. */
export interface ReplyChannel {
  /**
   * Sends a reply: at once when it can, else it waits in the outbox. Never throws. Returns
   * what resolves once the reply is handed to the socket (or waits in the outbox), and
   * undefined when it already is (the usual case): a job's program starts after its
   * DELIVERED is on the wire, since the spawn blocks the event loop that writes it, and
   * without a turn of that loop when nothing waits. `route`: MQTT 5 request/response and
   * trace ids, as the job's message asked.
   */
  send(kind: ReplyKind, reply: JobReply, route?: ReplyRoute): Promise<void> | undefined;
}

/** A reply handed to a transport. */
export interface Sent {
  /** Resolves once the reply is accepted (PUBACK, HTTP 2xx); rejects otherwise. */
  acked: Promise<void>;
  /** Resolves once it is written to the socket; undefined when it was within the call. */
  written: Promise<void> | undefined;
}

/** Where replies actually go: the MQTT session, or the REST API. */
export interface ReplyTransport {
  /** Whether a send can succeed now (MQTT connected; REST always tries). */
  ready(): boolean;
  /** Hands the reply over. */
  deliver(kind: ReplyKind, reply: JobReply, route?: ReplyRoute): Sent;
  /** The largest reply it takes as JSON, when it knows (an MQTT 5 broker's packet limit). */
  maxBytes?(route?: ReplyRoute): number | undefined;
}

export interface ReplyChannelOptions {
  log: Logger;
  counters: Counters;
  clock: Clock;
  random?: () => number;
  /** The retry ceiling after a failed drain, in seconds (the config's `reconnect_max`). */
  retryMaxS: number;
  /** The largest reply sent, as JSON (the config's `max_reply`, read at each send). */
  maxReplyBytes?: () => number;
}

/**
 * A broker that refuses a packet (over its size limit) drops the connection on it: after
 * this many connections lost with the same reply unacknowledged, it is cut to half.
 */
export const REFUSALS_BEFORE_CUT = 2;
/** MQTT 5's reason code for a packet over the broker's limit. */
const PACKET_TOO_LARGE = 0x95;

export const REPLY_COUNTERS = ["replies-sent", "replies-queued", "replies-dropped", "replies-cut"];

const keyOf = ({ kind, reply }: OutboxEntry) => `${kind}:${reply.id}`;
const encoder = new TextEncoder();

/** Sends replies straight through while the transport is ready, else through the on-disk outbox, in order. */
export class OutboxReplyChannel implements ReplyChannel {
  #opened: Promise<void> | undefined;
  /** Every outbox operation runs on this chain, one after the other. */
  #chain: Promise<void> = Promise.resolve();
  #failures = 0;
  /** Replies handed to the outbox whose append has not run yet: they count as waiting. */
  #appending = 0;
  #retry: AbortController | undefined;
  #closed = false;
  /**
   * By reply (`kind:id`): sends lost with it unacknowledged (or refused), the limit it is
   * cut to, and until when (monotonic ms) a refused one is parked.
   */
  #refusals = new Map<string, { lost: number; limit: number; until?: number }>();

  /** Declares its counters; `open()` loads the outbox. */
  constructor(
    private readonly transport: ReplyTransport,
    private readonly outbox: Outbox,
    private readonly options: ReplyChannelOptions,
  ) {
    options.counters.declare(...REPLY_COUNTERS);
  }

  /** Loads what a previous run left and starts sending it; idempotent. */
  open(): Promise<void> {
    if (this.#opened) return this.#opened;
    this.#opened = this.#run(async () => {
      const { skipped } = await this.outbox.load();
      if (skipped > 0) this.options.log.warn("outbox: unreadable entries skipped", { skipped });
      if (this.outbox.size > 0) {
        this.options.log.info("outbox: replies waiting from before", { count: this.outbox.size });
      }
    });
    this.drain();
    return this.#opened;
  }

  /** Replies waiting to be sent. */
  get waiting(): number {
    return this.outbox.size + this.#appending;
  }

  /** Sends now when nothing waits and the transport is ready; else appends to the outbox. */
  send(kind: ReplyKind, reply: JobReply, route?: ReplyRoute): Promise<void> | undefined {
    const entry: OutboxEntry = route ? { kind, reply, route } : { kind, reply };
    const direct = this.#opened !== undefined && this.waiting === 0 && this.#failures === 0 &&
      this.transport.ready();
    if (!direct) return void this.#enqueue(entry);
    const sent = this.transport.deliver(kind, this.#bounded(entry), route);
    sent.acked.then(
      () => this.options.counters.inc("replies-sent"),
      (error) => {
        // Refused or lost with its connection: counted as a drain's send would be.
        this.#lost(entry, error);
        this.#enqueue(entry);
      },
    );
    return sent.written;
  }

  /**
   * Sends what waits, in order; called on reconnect and after a failed attempt. A reply
   * the broker refuses for a reason (an ACL's "not authorized") stays in the outbox and is
   * tried again after a backoff of its own, without holding the replies behind it.
   */
  drain(): void {
    if (this.#closed) return;
    this.#retry?.abort();
    this.#run(async () => {
      const sent = new Set<OutboxEntry>();
      try {
        for (let i = 0; i < this.outbox.size && this.transport.ready() && !this.#closed; i++) {
          const entry = this.outbox.at(i)!;
          if (this.#parked(entry)) continue;
          const { acked } = this.transport.deliver(entry.kind, this.#bounded(entry), entry.route);
          const refused = await acked.then(() => false, (error) => {
            if (this.#lost(entry, error) === "parked") return true;
            throw error;
          });
          if (refused) continue;
          this.#refusals.delete(keyOf(entry));
          sent.add(entry);
          this.options.counters.inc("replies-sent");
        }
        this.#failures = 0;
        this.#retryParked();
      } catch (error) {
        this.options.log.debug("outbox: send failed, will retry", { error });
        this.#scheduleRetry();
      } finally {
        await this.outbox.remove(sent);
      }
    });
  }

  /** Stops retrying and waits for the outbox writes in progress. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#retry?.abort();
    await this.#chain;
    this.outbox.close();
  }

  /** The reply as sent: within `max_reply`, and within what the broker seemed to refuse. */
  #bounded(entry: OutboxEntry): JobReply {
    const limit = Math.min(
      this.options.maxReplyBytes?.() ?? Infinity,
      this.transport.maxBytes?.(entry.route) ?? Infinity,
      this.#refusals.get(keyOf(entry))?.limit ?? Infinity,
    );
    return limit === Infinity ? entry.reply : boundReply(entry.reply, limit);
  }

  /**
   * A send of `entry` failed. Unacknowledged (the connection dropped) twice in a row for the
   * same reply, the broker is taken to refuse its size (MQTT 3.1.1 says nothing): it is cut
   * to half, said once, so that it no longer holds every reply behind it at every
   * reconnect. An MQTT 5 broker says why: "packet too large" cuts at once; another refusal
   * ("not authorized") keeps the reply as it is, said once, and parks it: it is tried again
   * after a backoff, and the replies behind it go on.
   */
  #lost(entry: OutboxEntry, error: unknown): "parked" | "lost" {
    const key = keyOf(entry);
    const refusal = this.#refusals.get(key) ?? { lost: 0, limit: Infinity };
    this.#refusals.set(key, refusal);
    const reason = (error as { reason?: unknown })?.reason;
    if (typeof reason === "number" && reason !== PACKET_TOO_LARGE) {
      if (refusal.lost === 0) {
        this.options.log.warn("reply refused by the broker, kept", {
          id: entry.reply.id,
          error: error instanceof Error ? error.message : String(error),
        });
      }
      refusal.until = this.options.clock.monotonic() + this.#backoffMs(refusal.lost++);
      return "parked";
    }
    if (reason === PACKET_TOO_LARGE) refusal.lost = REFUSALS_BEFORE_CUT - 1;
    if (++refusal.lost < REFUSALS_BEFORE_CUT) return "lost";
    // The size it was sent at: only here, where it may be cut.
    const sent = encoder.encode(JSON.stringify(this.#bounded(entry))).length;
    if (sent > MIN_REPLY_BYTES) {
      if (refusal.limit === Infinity) {
        this.options.log.warn("reply refused by the broker, sent cut down", {
          id: entry.reply.id,
          kind: entry.kind,
          bytes: sent,
        });
      }
      refusal.limit = Math.max(MIN_REPLY_BYTES, Math.floor(sent / 2));
      refusal.lost = 0;
      this.options.counters.inc("replies-cut");
    }
    return "lost";
  }

  /** Whether a refused reply waits out its backoff. */
  #parked(entry: OutboxEntry): boolean {
    const until = this.#refusals.get(keyOf(entry))?.until;
    return until !== undefined && this.options.clock.monotonic() < until;
  }

  /** After a pass: the next one when the first parked reply's backoff ends. */
  #retryParked(): void {
    const now = this.options.clock.monotonic();
    const ends = [...this.#refusals.values()].map((r) => r.until ?? Infinity)
      .filter((until) => until > now);
    if (ends.length > 0) this.#scheduleRetry(Math.min(...ends) - now);
  }

  #enqueue(entry: OutboxEntry): void {
    this.options.counters.inc("replies-queued");
    this.open();
    this.#appending++;
    this.#run(async () => {
      this.#appending--;
      const dropped = await this.outbox.append(entry);
      if (dropped > 0) {
        this.options.counters.inc("replies-dropped", dropped);
        this.options.log.warn("outbox full: oldest replies dropped", { dropped });
      }
    });
    if (this.#failures === 0) this.drain();
  }

  /** The next pass after `delayMs`, or after a backoff on the failures so far. */
  #scheduleRetry(delayMs?: number): void {
    if (this.#closed) return;
    const delay = delayMs ?? this.#backoffMs(this.#failures++);
    const retry = this.#retry = new AbortController();
    this.options.clock.sleep(delay, retry.signal).then(() => this.drain(), () => {});
  }

  /** A full-jitter wait before try `attempt` (0 first), from 1 s up to `retryMaxS`. */
  #backoffMs(attempt: number): number {
    const { random = Math.random, retryMaxS } = this.options;
    return fullJitterDelay(attempt, { baseMs: 1000, maxMs: retryMaxS * 1000 }, random);
  }

  /** Queues `work` on the chain; its failure is logged, never thrown at the caller. */
  #run(work: () => Promise<void>): Promise<void> {
    const next = this.#chain.then(work).catch((error) =>
      this.options.log.error("outbox: write failed", { error })
    );
    this.#chain = next;
    return next;
  }
}
