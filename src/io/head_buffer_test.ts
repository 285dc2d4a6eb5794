import { assertEquals } from "../../tests/support/assert.ts";
import { HeadBuffer } from "./head_buffer.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

Deno.test("HeadBuffer keeps everything below its capacity", () => {
  const head = new HeadBuffer(8);
  head.push(bytes("abc"));
  head.push(bytes("de"));
  assertEquals([head.text(), head.truncated], ["abcde", false]);
});

Deno.test("HeadBuffer keeps the first bytes and counts the rest as cut", () => {
  const head = new HeadBuffer(4);
  head.push(bytes("abc"));
  head.push(bytes("def"));
  head.push(bytes("0123456789"));
  assertEquals([head.text(), head.truncated], ["abcd", true]);
});

Deno.test("HeadBuffer at exactly its capacity is not truncated", () => {
  const head = new HeadBuffer(3);
  head.push(bytes("abc"));
  assertEquals([head.text(), head.truncated], ["abc", false]);
});

Deno.test("HeadBuffer drops a multi-byte character cut at its end", () => {
  const head = new HeadBuffer(4);
  head.push(bytes("ab€")); // € is 3 bytes: only its first fits
  assertEquals([head.text(), head.truncated], ["ab", true]);
});

Deno.test("HeadBuffer copies: the caller may reuse its buffer", () => {
  const head = new HeadBuffer(8);
  const buffer = bytes("abcd");
  head.push(buffer);
  buffer.set(bytes("zzzz"));
  assertEquals(head.text(), "abcd");
});
