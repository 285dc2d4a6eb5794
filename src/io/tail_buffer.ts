/**
 * The last `capacity` bytes of a stream, in bounded memory: a job writing 100 MB costs the
 * same as one writing `capacity` bytes, and one writing 100 bytes costs about 100 bytes (a
 * collection runs programs with a 1 MB cap several times a minute; allocating the cap up
 * front made each run cost 1 MB of native memory until the next full GC).
 */
export class TailBuffer {
  #ring = new Uint8Array(0);
  #end = 0;
  #total = 0;

  constructor(readonly capacity: number) {}

  push(chunk: Uint8Array): void {
    this.#total += chunk.length;
    const cap = this.capacity;
    const data = chunk.length > cap ? chunk.subarray(chunk.length - cap) : chunk;
    this.#grow();
    const first = Math.min(data.length, cap - this.#end);
    this.#ring.set(data.subarray(0, first), this.#end);
    this.#ring.set(data.subarray(first), 0);
    this.#end = (this.#end + data.length) % cap;
  }

  /** Until it first wraps, the ring holds everything so far, from offset 0. */
  #grow(): void {
    const length = this.#ring.length;
    if (length === this.capacity || this.#total <= length) return;
    const size = Math.min(this.capacity, Math.max(2 * length, this.#total));
    const ring = new Uint8Array(size);
    ring.set(this.#ring);
    this.#ring = ring;
  }

  /** More bytes arrived than were kept. */
  get truncated(): boolean {
    return this.#total > this.capacity;
  }

  bytes(): Uint8Array {
    if (!this.truncated) return this.#ring.slice(0, this.#total);
    const out = new Uint8Array(this.capacity);
    out.set(this.#ring.subarray(this.#end));
    out.set(this.#ring.subarray(0, this.#end), this.capacity - this.#end);
    return out;
  }

  /** The tail as text; a character cut in half at the start of the tail is dropped. */
  text(): string {
    let bytes = this.bytes();
    if (this.truncated) {
      let skip = 0;
      while (skip < 3 && skip < bytes.length && (bytes[skip] & 0xc0) === 0x80) skip++;
      bytes = bytes.subarray(skip);
    }
    return new TextDecoder().decode(bytes);
  }
}
