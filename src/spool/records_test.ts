import { assertEquals } from "../../tests/support/assert.ts";
import { RecordScanner } from "./records.ts";

function scan(chunks: (string | Uint8Array)[]) {
  const encoder = new TextEncoder();
  const scanner = new RecordScanner();
  let text = "";
  const buffer = new Uint8Array(256); // reused, as the spool does
  for (const chunk of chunks) {
    const bytes = typeof chunk === "string" ? encoder.encode(chunk) : chunk;
    buffer.set(bytes);
    for (const run of scanner.scan(buffer.subarray(0, bytes.length))) {
      text += new TextDecoder().decode(run);
    }
    buffer.fill(0x41); // a run used after the next read would show this
  }
  scanner.end();
  return { text, tally: scanner.tally };
}

Deno.test("complete JSON lines pass, across any chunk boundary", () => {
  const whole = '{"id":"a"}\n{"id":"b","x":[1,2]}\n"c"\n';
  for (let cut = 0; cut <= whole.length; cut++) {
    const { text, tally } = scan([whole.slice(0, cut), whole.slice(cut)]);
    assertEquals(text, whole);
    assertEquals(tally, { records: 3, torn: false, corrupt: 0 });
  }
});

Deno.test("a last line without newline is torn and skipped, even if it parses", () => {
  for (const tail of ['{"id":"c', '{"id":"c"}', "7"]) {
    const { text, tally } = scan(['{"id":"a"}\n{"id":"b"}\n', tail]);
    assertEquals(text, '{"id":"a"}\n{"id":"b"}\n');
    assertEquals(tally, { records: 2, torn: true, corrupt: 0 });
  }
});

Deno.test("garbage lines (zeroed flash page, half line, bad UTF-8) are skipped and counted", () => {
  const { text, tally } = scan([
    '{"id":"a"}\n\0\0\0\0\n{"id":\n',
    new Uint8Array([0xff, 0xfe, 0x0a]),
    '{"id":"b"}\n\n{"id":"c"}\n',
  ]);
  assertEquals(text, '{"id":"a"}\n{"id":"b"}\n{"id":"c"}\n');
  assertEquals(tally, { records: 3, torn: false, corrupt: 3 });
});

Deno.test("an empty segment has no records", () => {
  assertEquals(scan([]), { text: "", tally: { records: 0, torn: false, corrupt: 0 } });
});
