/** ULID-style sample ids: 48-bit milliseconds + 80 random bits, Crockford base32, 26 chars. */

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const RANDOM_MASK = (1n << 80n) - 1n;

function encode(value: bigint, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) {
    out = ALPHABET[Number(value & 31n)] + out;
    value >>= 5n;
  }
  return out;
}

/**
 * Ids that sort in the order they were made, also within one millisecond (the random part
 * is incremented then) and across a clock stepped back (the last time is kept). One per
 * collector: the state lives in the instance, not the module.
 *
 * @example
 * ```ts
 * import { deepEqual } from "node:assert/strict";
 * const ids = new SampleIds(() => 1732420000000);
 * const [a, b] = [ids.next(), ids.next()];
 * deepEqual([a.length, a < b], [26, true]);
 * ```
 */
export class SampleIds {
  #lastTime = -1;
  #lastRandom = 0n;

  constructor(
    private readonly now: () => number,
    private readonly random: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b),
  ) {}

  next(): string {
    const time = Math.max(Math.floor(this.now()), this.#lastTime);
    if (time === this.#lastTime) {
      this.#lastRandom = (this.#lastRandom + 1n) & RANDOM_MASK;
      // The random part wrapped: borrow the next millisecond so that order holds.
      if (this.#lastRandom === 0n) this.#lastTime++;
    } else {
      const bytes = this.random(new Uint8Array(10));
      this.#lastRandom = bytes.reduce((acc, byte) => (acc << 8n) | BigInt(byte), 0n);
      this.#lastTime = time;
    }
    return encode(BigInt(this.#lastTime), 10) + encode(this.#lastRandom, 16);
  }
}
