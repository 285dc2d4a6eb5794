/**
 * The control socket (docs/control.md): a Unix stream socket answering JSON
 * requests with BNG Blaster's framing. Every connection is its own task with its own
 * deadlines, so a silent or slow client holds nothing but its own slot.
 */
import type { Counters } from "../counters.ts";
import { type Logger, safeJson } from "../log/mod.ts";
import type { Reply } from "./registry.ts";
import {
  DEFAULT_READER_LIMITS,
  type Frame,
  type ReaderLimits,
  RequestReader,
} from "./request_reader.ts";
import { clearSocketPath, restrictSocket, socketInode } from "./socket_file.ts";

/** The limits of the control socket: sizes, times, connections. */
export interface ControlLimits extends ReaderLimits {
  /** Connections served at once; the next one is answered 503. */
  maxConnections: number;
  /** Time to receive one complete request. */
  requestTimeoutMs: number;
  /** Time a keep-alive connection may wait for its next request. */
  idleTimeoutMs: number;
  /** How long unread bytes are drained after the answer (closing on them resets the peer). */
  lingerMs: number;
}

export const DEFAULT_CONTROL_LIMITS: ControlLimits = {
  ...DEFAULT_READER_LIMITS,
  maxConnections: 64,
  requestTimeoutMs: 5_000,
  idleTimeoutMs: 60_000,
  lingerMs: 1_000,
};

export interface ControlServerOptions {
  path: string;
  /** `control_socket_group`: the socket is made 0660 for this group. */
  group?: string;
  log: Logger;
  counters: Counters;
  commands: { execute(request: unknown): Promise<Reply> };
  limits?: Partial<ControlLimits>;
  readEtcGroup?: () => Promise<string>;
}

/**
 * One connection. Its deadline is checked by the server's single interval timer (a timer
 * per request costs a third of the throughput); it fires up to a tenth of the shortest
 * limit late.
 */
interface Session {
  conn: Deno.UnixConn;
  /** A request is being answered: stop lets the answer be written first. */
  answering: boolean;
  closed: boolean;
  expiresAt: number;
  /** At the deadline: answer 408 (a request is awaited) or just close. */
  onExpiry: "answer-timeout" | "close";
  /** The sweeper answered 408 and closes the connection; the serving task just leaves. */
  timedOut: boolean;
}

const encoder = new TextEncoder();
/** How long a full server waits for the slot of a peer that has gone (see #admit). */
const SLOT_GRACE_MS = 100;
const EMPTY_REQUEST: Frame = { kind: "error", code: 400, message: "invalid json" };

function errorReply(code: number, message: string): Reply {
  return { status: "error", code, message };
}

function wantsKeepAlive(request: unknown): boolean {
  return typeof request === "object" && request !== null &&
    (request as Record<string, unknown>)["keep-alive"] === true;
}

/** The control socket: one task per connection, each with its own deadlines. */
export class ControlServer {
  /** The limits in force (the defaults, with the options' overrides). */
  readonly limits: ControlLimits;
  #listener: Deno.UnixListener | undefined;
  #inode: number | null = null;
  #sessions = new Set<Session>();
  /** Connections waiting for a slot to free (see #admit). */
  #slotWaiters = new Set<() => void>();
  /** Answered or refused connections, draining what their peer still sends. */
  #lingering = new Set<Session>();
  #tasks = new Set<Promise<void>>();
  #accepting: Promise<void> | undefined;
  #sweeper: ReturnType<typeof setInterval> | undefined;
  #stopping = false;
  #log: Logger;

  /** Binds nothing yet: `start()` does. */
  constructor(private readonly options: ControlServerOptions) {
    this.limits = { ...DEFAULT_CONTROL_LIMITS, ...options.limits };
    this.#log = options.log.child("control");
  }

  /** The socket's path. */
  get path(): string {
    return this.options.path;
  }

  /** One line for `status`. */
  state(): string {
    return `listening on ${this.options.path}, ${this.#sessions.size} connected`;
  }

  /** Binds the socket (refusing a path another agent answers on, or one that is not a socket) and accepts. */
  async start(): Promise<void> {
    const { path, group } = this.options;
    this.options.counters.declare("control-requests");
    if (await clearSocketPath(path)) this.#log.warn("removed a stale control socket", { path });
    const listener = Deno.listen({ transport: "unix", path });
    try {
      await restrictSocket(path, group, this.options.readEtcGroup ?? readEtcGroup);
      this.#inode = await socketInode(path);
    } catch (error) {
      listener.close();
      await Deno.remove(path).catch(() => {});
      throw error;
    }
    this.#listener = listener;
    this.#stopping = false;
    const { requestTimeoutMs, idleTimeoutMs, lingerMs } = this.limits;
    const tick = Math.max(5, Math.min(requestTimeoutMs, idleTimeoutMs, lingerMs) / 10);
    this.#sweeper = setInterval(() => this.#sweep(), tick);
    this.#accepting = this.#acceptLoop(listener);
    this.#log.info("control socket listening", { path });
  }

  /** Stops accepting, lets answers in progress be written, closes the rest, removes the file. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#listener?.close();
    await this.#accepting;
    for (const session of this.#sessions) if (!session.answering) this.#close(session);
    for (const session of this.#lingering) this.#close(session);
    await Promise.all(this.#tasks);
    clearInterval(this.#sweeper);
    // Another agent may have taken the path since; only our own socket is removed.
    if (this.#inode !== null && await socketInode(this.options.path) === this.#inode) {
      await Deno.remove(this.options.path).catch(() => {});
    }
    this.#listener = undefined;
  }

  async #acceptLoop(listener: Deno.UnixListener): Promise<void> {
    while (!this.#stopping) {
      let conn: Deno.UnixConn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (this.#stopping || error instanceof Deno.errors.BadResource) return;
        // Out of file descriptors and the like: wait a little rather than spin.
        this.#log.warn("accept failed", { error });
        await new Promise((resolve) => setTimeout(resolve, 100));
        continue;
      }
      const session: Session = {
        conn,
        answering: false,
        closed: false,
        expiresAt: 0,
        onExpiry: "answer-timeout",
        timedOut: false,
      };
      this.#track(this.#admit(session));
    }
  }

  /**
   * Serves the connection, or refuses it when every slot is taken. A peer that has gone
   * frees its slot once its pending read sees the end, which can come a moment after the
   * new connection: a full server waits that moment (100 ms at most) for a slot before
   * it refuses.
   */
  async #admit(session: Session): Promise<void> {
    if (this.#sessions.size >= this.limits.maxConnections) {
      const grace = Math.min(SLOT_GRACE_MS, this.limits.requestTimeoutMs / 10);
      const deadline = performance.now() + grace;
      while (this.#sessions.size >= this.limits.maxConnections && performance.now() < deadline) {
        const freed = Promise.withResolvers<void>();
        this.#slotWaiters.add(freed.resolve);
        const timer = setTimeout(freed.resolve, Math.max(0, deadline - performance.now()));
        await freed.promise;
        clearTimeout(timer);
        this.#slotWaiters.delete(freed.resolve);
      }
      if (this.#sessions.size >= this.limits.maxConnections) return await this.#refuse(session);
    }
    return await this.#serve(session);
  }

  #freeSlot(session: Session): void {
    if (this.#sessions.delete(session)) { for (const wake of this.#slotWaiters) wake(); }
  }

  #track(task: Promise<void>): void {
    this.#tasks.add(task);
    task.finally(() => this.#tasks.delete(task));
  }

  #expireIn(session: Session, ms: number, onExpiry: Session["onExpiry"]): void {
    session.expiresAt = performance.now() + ms;
    session.onExpiry = onExpiry;
  }

  /** Ends the connections past their deadline; their pending read or write then fails. */
  #sweep(): void {
    const now = performance.now();
    for (const session of [...this.#sessions, ...this.#lingering]) {
      if (session.closed || session.expiresAt > now) continue;
      if (session.onExpiry === "close") {
        this.#close(session);
        continue;
      }
      // The serving task is blocked in read: answer for it, then close.
      session.expiresAt = Infinity;
      session.timedOut = true;
      const bytes = encoder.encode(safeJson(errorReply(408, "request timeout")) + "\n");
      this.options.counters.inc("control-requests");
      session.conn.write(bytes)
        .then(() => session.conn.closeWrite())
        .catch(() => {})
        .finally(() => this.#close(session));
    }
  }

  async #refuse(session: Session): Promise<void> {
    try {
      await this.#write(session, errorReply(503, "too many connections"));
      await this.#finish(session, new Uint8Array(4096));
    } catch {
      this.#close(session);
    }
  }

  async #serve(session: Session): Promise<void> {
    this.#sessions.add(session);
    const chunk = new Uint8Array(8 * 1024);
    try {
      const reader = new RequestReader(this.limits);
      let keepAlive = false;
      for (;;) {
        const frame = await this.#nextFrame(session, reader, chunk, keepAlive);
        if (session.timedOut) return;
        if (frame === undefined) break;
        session.answering = true;
        session.expiresAt = Infinity; // a command takes the time it needs
        const reply = frame.kind === "value"
          ? await this.options.commands.execute(frame.value)
          : errorReply(frame.code, frame.message);
        this.options.counters.inc("control-requests");
        await this.#write(session, reply);
        session.answering = false;
        keepAlive = frame.kind === "value" && wantsKeepAlive(frame.value);
        if (!keepAlive || this.#stopping) break;
      }
      // Answered: the slot is free for the next client while this one drains.
      this.#freeSlot(session);
      await this.#finish(session, chunk);
    } catch (error) {
      // A peer that vanished, a deadline or stop: its connection ends, nothing else.
      if (!session.closed) this.#log.debug("control connection ended", { error });
      this.#close(session);
    } finally {
      this.#freeSlot(session);
    }
  }

  /**
   * The next request of this connection, an error to answer, or undefined when it ends
   * quietly (EOF before any byte of a request). A keep-alive connection first waits up
   * to the idle timeout, then has the request timeout once a request has begun.
   */
  async #nextFrame(
    session: Session,
    reader: RequestReader,
    chunk: Uint8Array,
    idle: boolean,
  ): Promise<Frame | undefined> {
    let waitingIdle = idle && !reader.started;
    if (waitingIdle) this.#expireIn(session, this.limits.idleTimeoutMs, "close");
    else this.#expireIn(session, this.limits.requestTimeoutMs, "answer-timeout");
    for (;;) {
      const frame = reader.take();
      if (frame) return frame;
      if (waitingIdle && reader.started) {
        this.#expireIn(session, this.limits.requestTimeoutMs, "answer-timeout");
        waitingIdle = false;
      }
      const read = await session.conn.read(chunk);
      // EOF before a request: on a fresh connection that is an empty request (400); on a
      // keep-alive one, the client is done.
      if (read === null) return reader.end() ?? (idle ? undefined : EMPTY_REQUEST);
      reader.push(chunk.subarray(0, read));
    }
  }

  async #write(session: Session, reply: Reply): Promise<void> {
    const bytes = encoder.encode(this.#serialized(reply) + "\n");
    this.#expireIn(session, this.limits.requestTimeoutMs, "close");
    for (let written = 0; written < bytes.length;) {
      written += await session.conn.write(bytes.subarray(written));
    }
  }

  /** The reply as JSON; a 500 when it cannot be written (a cycle, nesting past the stack). */
  #serialized(reply: Reply): string {
    try {
      return safeJson(reply);
    } catch (error) {
      this.#log.error("reply not serializable", { error });
      return safeJson(errorReply(500, "internal error: the answer could not be written"));
    }
  }

  /**
   * Half-closes, then reads what the peer still sends until it closes: closing a Unix
   * socket with unread bytes makes the peer's next read fail with ECONNRESET.
   */
  async #finish(session: Session, chunk: Uint8Array): Promise<void> {
    // Draining is a courtesy: past one lingering connection per slot, close at once.
    if (this.#lingering.size >= this.limits.maxConnections) return this.#close(session);
    this.#lingering.add(session);
    this.#expireIn(session, this.limits.lingerMs, "close");
    try {
      await session.conn.closeWrite();
      while (!this.#stopping && await session.conn.read(chunk) !== null);
    } finally {
      this.#lingering.delete(session);
      this.#close(session);
    }
  }

  #close(session: Session): void {
    if (session.closed) return;
    session.closed = true;
    closeQuietly(session.conn);
  }
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch { /* already closed */ }
}

function readEtcGroup(): Promise<string> {
  return Deno.readTextFile("/etc/group");
}
