import { assert, assertEquals } from "../../tests/support/assert.ts";
import { type Frame, RequestReader } from "./request_reader.ts";

const bytes = (text: string) => new TextEncoder().encode(text);

function readAll(text: string, limits?: { maxBytes: number; maxDepth: number }): Frame[] {
  const reader = new RequestReader(limits);
  reader.push(bytes(text));
  const frames: Frame[] = [];
  for (let frame = reader.take(); frame; frame = reader.take()) {
    frames.push(frame);
    if (frame.kind === "error") break;
  }
  const last = reader.end();
  if (last) frames.push(last);
  return frames;
}

Deno.test("a request ends where its object ends: no newline or EOF needed", () => {
  const reader = new RequestReader();
  reader.push(bytes(' \n\t{"command": "status", "arguments": {"x": "}{\\"]"}}garbage'));
  assertEquals(reader.take(), {
    kind: "value",
    value: { command: "status", arguments: { x: '}{"]' } },
  });
});

Deno.test("a request split into single bytes is taken once its last byte arrives", () => {
  const reader = new RequestReader();
  const text = '{"command":"jobs","arguments":{"limit":[1,{"a":"é\\\\"}]}}';
  const all = bytes(text);
  for (let i = 0; i < all.length - 1; i++) {
    reader.push(all.subarray(i, i + 1));
    assertEquals(reader.take(), undefined, `complete too early at byte ${i}`);
    assert(reader.started);
  }
  reader.push(all.subarray(all.length - 1));
  assertEquals(reader.take(), { kind: "value", value: JSON.parse(text) });
  assert(!reader.started);
});

Deno.test("keep-alive: requests follow each other on one stream", () => {
  const frames = readAll('{"a":1}{"b":2}\n{"c":3}  ');
  assertEquals(frames.map((f) => f.kind === "value" && f.value), [{ a: 1 }, { b: 2 }, { c: 3 }]);
});

Deno.test("values that are not objects are still framed, for 'invalid request'", () => {
  assertEquals(readAll('[1,2] "s" 42 true'), [
    { kind: "value", value: [1, 2] },
    { kind: "value", value: "s" },
    { kind: "value", value: 42 },
    { kind: "value", value: true },
  ]);
});

Deno.test("broken json is 400 invalid json", () => {
  const invalid = { kind: "error", code: 400, message: "invalid json" };
  for (const text of ["}", "x", '{"a":}', "tru ", "{'a':1}", "\u00a0{}"]) {
    assertEquals(readAll(text), [invalid], text);
  }
  // EOF before the end of the object.
  assertEquals(readAll('{"command": "sta'), [invalid]);
  assertEquals(readAll("   "), []);
});

Deno.test("invalid UTF-8 inside a string is invalid json", () => {
  const reader = new RequestReader();
  reader.push(new Uint8Array([0x7b, 0x22, 0x61, 0xff, 0x22, 0x3a, 0x31, 0x7d]));
  assertEquals(reader.take(), { kind: "error", code: 400, message: "invalid json" });
});

Deno.test("nesting: depth 64 is read, 65 is invalid json without waiting for the end", () => {
  const nested = (depth: number) => "[".repeat(depth) + "]".repeat(depth);
  assertEquals(readAll(nested(64)).length, 1);
  assertEquals(readAll(nested(64))[0].kind, "value");
  const reader = new RequestReader();
  reader.push(bytes("[".repeat(65)));
  assertEquals(reader.take(), { kind: "error", code: 400, message: "invalid json" });
});

Deno.test("size: a request of maxBytes is read, one byte more is 413", () => {
  const limits = { maxBytes: 100, maxDepth: 64 };
  const request = (size: number) => `{"p":"${"x".repeat(size - 8)}"}`;
  assertEquals(request(100).length, 100);
  assertEquals(readAll(request(100), limits)[0].kind, "value");
  const reader = new RequestReader(limits);
  reader.push(bytes(request(101).slice(0, 101)));
  assertEquals(reader.take(), { kind: "error", code: 413, message: "request too large" });
  // Leading whitespace counts, and the limit applies to each keep-alive request anew.
  assertEquals(readAll(" " + request(100), limits)[0].kind, "error");
  assertEquals(readAll(request(100) + request(100), limits).length, 2);
});

Deno.test("after an error nothing more is read", () => {
  const reader = new RequestReader();
  reader.push(bytes("}"));
  assertEquals(reader.take()?.kind, "error");
  reader.push(bytes('{"a":1}'));
  assertEquals(reader.take(), undefined);
  assertEquals(reader.end(), undefined);
});
