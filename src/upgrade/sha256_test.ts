import { assertEquals } from "../../tests/support/assert.ts";
import { Sha256 } from "./sha256.ts";

async function webCryptoHex(data: Uint8Array<ArrayBuffer>): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
  return Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

Deno.test("Sha256 agrees with WebCrypto at every length around the block edges, in any chunking", async () => {
  const data = crypto.getRandomValues(new Uint8Array(300));
  for (let length = 0; length <= data.length; length++) {
    const input = data.slice(0, length);
    const whole = new Sha256();
    whole.update(input);
    const chunked = new Sha256();
    for (let at = 0; at < length; at += 7) chunked.update(input.subarray(at, at + 7));
    const expected = await webCryptoHex(input);
    assertEquals(whole.hex(), expected, `length ${length}`);
    assertEquals(chunked.hex(), expected, `length ${length}, 7-byte chunks`);
  }
});

Deno.test("Sha256 over 3 MiB in 64 KiB chunks equals WebCrypto", async () => {
  const data = new Uint8Array(3 * 1024 * 1024 + 13);
  for (let at = 0; at < data.length; at += 65536) {
    crypto.getRandomValues(data.subarray(at, Math.min(at + 65536, data.length)));
  }
  const hash = new Sha256();
  for (let at = 0; at < data.length; at += 65536) hash.update(data.subarray(at, at + 65536));
  assertEquals(hash.hex(), await webCryptoHex(data));
});
