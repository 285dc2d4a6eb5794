/**
 * The first `capacity` bytes of a stream, in memory that grows with what was kept: the
 * rest is counted and dropped, so that a program printing 100 MB keeps being drained and
 * costs `capacity` bytes. A job's stdout is kept this way: SocketMan sent the head of a
 * command's output, and back ends read its first lines.
 */
export class HeadBuffer {
  #chunks: Uint8Array[] = [];
  #kept = 0;
  #total = 0;

  constructor(readonly capacity: number) {}

  /** Keeps what still fits of `chunk` (copied: the caller reuses its buffer). */
  push(chunk: Uint8Array): void {
    this.#total += chunk.length;
    const room = this.capacity - this.#kept;
    if (room <= 0 || chunk.length === 0) return;
    const part = chunk.slice(0, room);
    this.#chunks.push(part);
    this.#kept += part.length;
  }

  /** More bytes arrived than were kept. */
  get truncated(): boolean {
    return this.#total > this.capacity;
  }

  /** The head as text; a character cut in half at its end is dropped. */
  text(): string {
    const bytes = new Uint8Array(this.#kept);
    let at = 0;
    for (const chunk of this.#chunks) bytes.set(chunk, (at += chunk.length) - chunk.length);
    // `stream: true` holds back an incomplete sequence at the end instead of replacing it.
    return new TextDecoder().decode(bytes, { stream: this.truncated });
  }
}
