/**
 * The last `capacity` bytes of a stream, in fixed memory: a job writing 100 MB costs the
 * same as one writing 100 bytes.
 */
export class TailBuffer {
  #ring: Uint8Array;
  #end = 0;
  #total = 0;

  constructor(readonly capacity: number) {
    this.#ring = new Uint8Array(capacity);
  }

  push(chunk: Uint8Array): void {
    this.#total += chunk.length;
    const cap = this.capacity;
    const data = chunk.length > cap ? chunk.subarray(chunk.length - cap) : chunk;
    const first = Math.min(data.length, cap - this.#end);
    this.#ring.set(data.subarray(0, first), this.#end);
    this.#ring.set(data.subarray(first), 0);
    this.#end = (this.#end + data.length) % cap;
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
