/**
 * The control socket (../shared/spec/control-socket.md): a Unix stream socket answering JSON
 * requests with BNG Blaster's framing. Every connection is its own task with its own
 * deadlines, so a silent or slow client holds nothing but its own slot.
 */
import type { Capability } from "../capability.ts";
import type { Counters } from "../counters.ts";
import type { Logger } from "../log/logger.ts";
import type { Reply } from "./registry.ts";
import {
  DEFAULT_READER_LIMITS,
  type Frame,
  type ReaderLimits,
  RequestReader,
} from "./request_reader.ts";
import { clearSocketPath, restrictSocket, socketInode } from "./socket_file.ts";

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

interface Session {
  conn: Deno.UnixConn;
  /** A request is being answered: stop lets the answer be written first. */
  answering: boolean;
  closed: boolean;
}

const TIMED_OUT = Symbol("timed out");
const REQUEST_TIMEOUT: Frame = { kind: "error", code: 408, message: "request timeout" };
const encoder = new TextEncoder();

/** A timer as a promise, cleared when the wait is over. */
function deadline(ms: number): { expired: Promise<typeof TIMED_OUT>; clear(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), ms);
  });
  return { expired, clear: () => clearTimeout(timer) };
}

function errorReply(code: number, message: string): Reply {
  return { status: "error", code, message };
}

function wantsKeepAlive(request: unknown): boolean {
  return typeof request === "object" && request !== null &&
    (request as Record<string, unknown>)["keep-alive"] === true;
}

export class ControlServer implements Capability {
  readonly name = "control";
  readonly limits: ControlLimits;
  #listener: Deno.UnixListener | undefined;
  #inode: number | null = null;
  #sessions = new Set<Session>();
  /** Answered or refused connections, draining what their peer still sends. */
  #lingering = new Set<Session>();
  #tasks = new Set<Promise<void>>();
  #accepting: Promise<void> | undefined;
  #stopping = false;
  #log: Logger;

  constructor(private readonly options: ControlServerOptions) {
    this.limits = { ...DEFAULT_CONTROL_LIMITS, ...options.limits };
    this.#log = options.log.child("control");
  }

  state(): string {
    return `listening on ${this.options.path}, ${this.#sessions.size} connected`;
  }

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
      this.#track(
        this.#sessions.size < this.limits.maxConnections ? this.#serve(conn) : this.#refuse(conn),
      );
    }
  }

  #track(task: Promise<void>): void {
    this.#tasks.add(task);
    task.finally(() => this.#tasks.delete(task));
  }

  async #refuse(conn: Deno.UnixConn): Promise<void> {
    const session = { conn, answering: false, closed: false };
    try {
      await this.#write(session, errorReply(503, "too many connections"));
      await this.#finish(session, new Uint8Array(4096));
    } catch {
      this.#close(session);
    }
  }

  async #serve(conn: Deno.UnixConn): Promise<void> {
    const session: Session = { conn, answering: false, closed: false };
    this.#sessions.add(session);
    const chunk = new Uint8Array(16 * 1024);
    try {
      const reader = new RequestReader(this.limits);
      let keepAlive = false;
      for (;;) {
        const frame = await this.#nextFrame(session, reader, chunk, keepAlive);
        if (frame === undefined) break;
        session.answering = true;
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
      this.#sessions.delete(session);
      await this.#finish(session, chunk);
    } catch (error) {
      // A peer that vanished or a write that timed out: its connection ends, nothing else.
      if (!session.closed) this.#log.debug("control connection ended", { error });
      this.#close(session);
    } finally {
      this.#sessions.delete(session);
    }
  }

  /**
   * The next request of this connection, an error to answer, or undefined when it ends
   * quietly (EOF or keep-alive idle timeout before any byte of a request).
   */
  async #nextFrame(
    session: Session,
    reader: RequestReader,
    chunk: Uint8Array,
    idle: boolean,
  ): Promise<Frame | undefined> {
    let waitingIdle = idle && !reader.started;
    let timer = deadline(waitingIdle ? this.limits.idleTimeoutMs : this.limits.requestTimeoutMs);
    try {
      for (;;) {
        const frame = reader.take();
        if (frame) return frame;
        if (waitingIdle && reader.started) {
          timer.clear();
          timer = deadline(this.limits.requestTimeoutMs);
          waitingIdle = false;
        }
        const read = await Promise.race([session.conn.read(chunk), timer.expired]);
        if (read === TIMED_OUT) return waitingIdle ? undefined : REQUEST_TIMEOUT;
        if (read === null) return reader.end();
        reader.push(chunk.subarray(0, read));
      }
    } finally {
      timer.clear();
    }
  }

  async #write(session: Session, reply: Reply): Promise<void> {
    const bytes = encoder.encode(JSON.stringify(reply) + "\n");
    const timer = deadline(this.limits.requestTimeoutMs);
    try {
      let written = 0;
      while (written < bytes.length) {
        const n = await Promise.race([session.conn.write(bytes.subarray(written)), timer.expired]);
        if (n === TIMED_OUT) throw new Error("reply not taken within the request timeout");
        written += n;
      }
    } finally {
      timer.clear();
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
    try {
      await session.conn.closeWrite();
      const timer = deadline(this.limits.lingerMs);
      try {
        while (!this.#stopping) {
          const read = await Promise.race([session.conn.read(chunk), timer.expired]);
          if (read === TIMED_OUT || read === null) break;
        }
      } finally {
        timer.clear();
      }
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
