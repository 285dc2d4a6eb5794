import { assertEquals } from "../../tests/support/assert.ts";
import { RecordScanStream } from "./records.ts";

async function scan(chunks: string[]) {
  const encoder = new TextEncoder();
  const scanner = new RecordScanStream();
  const input = ReadableStream.from(chunks.map((c) => encoder.encode(c)));
  const text = await new Response(input.pipeThrough(scanner)).text();
  return { lines: text.split("\n").filter(Boolean), tally: scanner.tally };
}

Deno.test("complete JSON lines pass, across any chunk boundary", async () => {
  const whole = '{"id":"a"}\n{"id":"b","x":[1,2]}\n"c"\n';
  for (let cut = 0; cut <= whole.length; cut++) {
    const { lines, tally } = await scan([whole.slice(0, cut), whole.slice(cut)]);
    assertEquals(lines, ['{"id":"a"}', '{"id":"b","x":[1,2]}', '"c"']);
    assertEquals(tally, { records: 3, torn: false, corrupt: 0 });
  }
});

Deno.test("a last line without newline is torn and skipped, even if it parses", async () => {
  for (const tail of ['{"id":"c', '{"id":"c"}', "7"]) {
    const { lines, tally } = await scan(['{"id":"a"}\n{"id":"b"}\n', tail]);
    assertEquals(lines, ['{"id":"a"}', '{"id":"b"}']);
    assertEquals(tally, { records: 2, torn: true, corrupt: 0 });
  }
});

Deno.test("garbage lines (zeroed flash page, half line, bad UTF-8) are skipped and counted", async () => {
  const bytes = new Uint8Array([0xff, 0xfe, 0x0a]);
  const scanner = new RecordScanStream();
  const input = ReadableStream.from([
    new TextEncoder().encode('{"id":"a"}\n\0\0\0\0\n{"id":\n'),
    bytes,
    new TextEncoder().encode('{"id":"b"}\n\n'),
  ]);
  const text = await new Response(input.pipeThrough(scanner)).text();
  assertEquals(text, '{"id":"a"}\n{"id":"b"}\n');
  assertEquals(scanner.tally, { records: 2, torn: false, corrupt: 3 });
});

Deno.test("an empty segment has no records", async () => {
  assertEquals(await scan([]), { lines: [], tally: { records: 0, torn: false, corrupt: 0 } });
});
