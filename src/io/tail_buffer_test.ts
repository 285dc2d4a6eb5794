import { assertEquals } from "../../tests/support/assert.ts";
import { TailBuffer } from "./tail_buffer.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

Deno.test("TailBuffer keeps everything below its capacity", () => {
  const tail = new TailBuffer(8);
  tail.push(bytes("abc"));
  tail.push(bytes("de"));
  assertEquals([tail.text(), tail.truncated], ["abcde", false]);
});

Deno.test("TailBuffer keeps the last bytes across wrap-arounds and oversized chunks", () => {
  const tail = new TailBuffer(4);
  tail.push(bytes("abc"));
  tail.push(bytes("def"));
  assertEquals([tail.text(), tail.truncated], ["cdef", true]);
  tail.push(bytes("0123456789"));
  assertEquals(tail.text(), "6789");
  tail.push(bytes("x"));
  assertEquals(tail.text(), "789x");
});

Deno.test("TailBuffer drops a multi-byte character cut at the start of the tail", () => {
  const tail = new TailBuffer(4);
  tail.push(bytes("aé€")); // a(1) é(2) €(3): the tail starts inside é
  assertEquals(tail.text(), "€");
});

Deno.test("TailBuffer at exactly its capacity is not truncated", () => {
  const tail = new TailBuffer(3);
  tail.push(bytes("abc"));
  assertEquals([tail.text(), tail.truncated], ["abc", false]);
});
